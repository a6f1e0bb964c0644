/**
 * `npm run bench:http` — GET /health of CollabCanvas against bare Fastify sending the same
 * response (bench/peers/bareFastifyHealth.mjs: the same headers, request id and response schema,
 * and nothing else), reported as a ratio of req/s.
 *
 * Every server runs as a child process on a loopback port, all of them for the whole run.
 * autocannon (programmatic, in this process) loads one at a time for --seconds, for --runs rounds
 * (at least 3), the order reversed every other round. A round's ratio is a build's req/s over the
 * bare server's in that same round, so a slow minute of the shared machine hits both sides; the
 * report gives the median of those ratios and their range (the spread to compare a difference
 * with), and the median req/s, p99 and server CPU per request of each target. Ratios are printed
 * as "median (min–max)".
 *
 * --build name=path/to/dist/server/main.js (repeatable) measures other builds side by side, e.g.
 * two variants of a change built into /tmp; each build is then also compared round by round with
 * the first one, in req/s and in server CPU per request. When the machine is busy, --rate N
 * (requests/s offered to each server, below what it can serve) makes CPU per request the
 * measure: it then moves less than req/s, which other work on the machine decides. Default: collabcanvas=dist/server/main.js.
 *
 * Run:  npm run bench:http
 *       node bench/httpHealth.mjs [--runs 5] [--seconds 5] [--connections 100] [--warmup 1]
 *                                 [--rate 0] [--build name=main.js …] [--out http-health]
 *                                 [--quiet-wait 30] [--quiet-below 20] [--max-others 25] [--noisy-retries 2]
 *       Other builds and tests share these 2 cores: before each run it waits up to --quiet-wait s
 *       for the rest of the machine to use < --quiet-below % of a core, and a run during which
 *       the rest used > --max-others % is run again, at most --noisy-retries times (lib/noise.mjs).
 *       (needs a build: the peer imports CollabCanvas's headers and schema from dist/)
 * Writes bench/results/<out>.json and <out>.svg.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { NOISE_FLAGS, measureQuietly, noisePolicy } from './lib/noise.mjs'
import { cpuMeter, startServer } from './lib/proc.mjs'
import { commandLine, machine, revision, table, writeChart, writeJson } from './lib/report.mjs'
import { median, round } from './lib/stats.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const TARGET_RATIO = 0.8
const BARE = 'bare-fastify'

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '1' },
    rate: { type: 'string', default: '0' },
    build: { type: 'string', multiple: true, default: ['collabcanvas=dist/server/main.js'] },
    out: { type: 'string', default: 'http-health' },
    ...NOISE_FLAGS,
  },
})
// A median of fewer than 3 rounds is one round's noise.
const runs = Math.max(3, Number(flags.runs))
const seconds = Math.max(1, Number(flags.seconds))
const connections = Math.max(1, Number(flags.connections))
const warmup = Math.max(0, Number(flags.warmup))
const rate = Math.max(0, Number(flags.rate))
const noise = noisePolicy(flags)

function fail(message) {
  console.error(`bench:http: ${message}`)
  process.exit(1)
}

const builds = flags.build.map((spec) => {
  const eq = spec.indexOf('=')
  const [name, file] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [null, spec]
  if (!name || name === BARE) fail(`--build is name=path/to/dist/server/main.js, not "${spec}"`)
  const mainJs = path.resolve(file)
  if (!existsSync(mainJs)) fail(`${file} is missing; run npm run build first`)
  return { name, mainJs }
})
if (new Set(builds.map((b) => b.name)).size !== builds.length) fail('two --build share a name')
if (!existsSync(path.join(ROOT, 'dist', 'server', 'plugins', 'security.js')))
  fail('dist/ is missing (the bare peer imports its headers from it); run npm run build first')

function load(url, duration) {
  return autocannon({ url, connections, duration, pipelining: 1, ...(rate > 0 ? { overallRate: rate } : {}) })
}

async function measure(server, run) {
  const meter = cpuMeter([server.pid])
  const r = await load(`${server.baseUrl}/health`, seconds)
  const cpu = meter.stop()
  return {
    target: server.name,
    run,
    reqPerSec: round(r.requests.average, 0),
    requests: r.requests.total,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, mean: round(r.latency.mean) },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    // CPU time the server spent per request: steadier than req/s when the machine is shared.
    serverCpuMicrosPerRequest: round((cpu.servers[server.pid] * 1e4) / r.requests.average, 1),
    cpuPercent: {
      server: round(cpu.servers[server.pid], 0),
      generator: round(cpu.generator, 0),
      otherProcesses: round(cpu.others, 0),
    },
  }
}

/** Median and range of the per-round ratios a/b of `metric` (req/s unless told). */
function pairedRatio(results, a, b, metric = (r) => r.reqPerSec) {
  const perRound = []
  for (let run = 1; run <= runs; run++) {
    const x = results.find((r) => r.target === a && r.run === run)
    const y = results.find((r) => r.target === b && r.run === run)
    perRound.push(round(metric(x) / metric(y), 3))
  }
  return { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), perRound }
}
const range = (p) => `${p.median} (${p.min}–${p.max})`

const dataDirs = []
process.on('exit', () => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
const TARGETS = {
  // The least a Fastify server sending CollabCanvas's /health response does.
  [BARE]: { args: [path.join(ROOT, 'bench', 'peers', 'bareFastifyHealth.mjs')] },
}
for (const b of builds) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-http-'))
  dataDirs.push(dataDir)
  // warn: no line per request, so the log's I/O is not what is measured.
  TARGETS[b.name] = { args: [b.mainJs, 'serve'], env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn' } }
}

const servers = []
try {
  for (const [name, target] of Object.entries(TARGETS)) servers.push(await startServer({ name, ...target }))

  if (warmup > 0) for (const s of servers) await load(`${s.baseUrl}/health`, warmup)

  const results = []
  for (let run = 1; run <= runs; run++) {
    // Alternate the order so no server always follows another's aftermath.
    const order = run % 2 === 1 ? servers : [...servers].reverse()
    for (const s of order) {
      const r = await measureQuietly(
        () => measure(s, run),
        noise,
        (result) => result.cpuPercent.otherProcesses,
        (line) => console.error(`run ${run} ${s.name}: ${line}`),
      )
      results.push(r)
      console.error(
        `run ${run} ${r.target}: ${r.reqPerSec} req/s, p99 ${r.latencyMs.p99} ms, server CPU ${r.cpuPercent.server}%, generator CPU ${r.cpuPercent.generator}%, others ${r.cpuPercent.otherProcesses}%${r.noise.noisy ? ' (noisy)' : ''}`,
      )
    }
  }

  const summary = {}
  for (const s of servers) {
    const mine = results.filter((r) => r.target === s.name)
    summary[s.name] = {
      reqPerSec: median(mine.map((r) => r.reqPerSec)),
      p50Ms: median(mine.map((r) => r.latencyMs.p50)),
      p99Ms: median(mine.map((r) => r.latencyMs.p99)),
      serverCpuPercent: median(mine.map((r) => r.cpuPercent.server)),
      serverCpuMicrosPerRequest: median(mine.map((r) => r.serverCpuMicrosPerRequest)),
      generatorCpuPercent: median(mine.map((r) => r.cpuPercent.generator)),
      otherProcessesCpuPercent: median(mine.map((r) => r.cpuPercent.otherProcesses)),
      errors: mine.reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0),
      noisyRuns: mine.filter((r) => r.noise.noisy).length,
    }
  }
  const vsBare = Object.fromEntries(builds.map((b) => [b.name, pairedRatio(results, b.name, BARE)]))
  // Builds against the first, round by round: req/s, and server CPU per request, which other
  // work on the machine disturbs less.
  const vsFirst = Object.fromEntries(
    builds.slice(1).map((b) => [b.name, pairedRatio(results, b.name, builds[0].name)]),
  )
  const cpuVsFirst = Object.fromEntries(
    builds
      .slice(1)
      .map((b) => [b.name, pairedRatio(results, b.name, builds[0].name, (r) => r.serverCpuMicrosPerRequest)]),
  )

  console.log(
    `\nGET /health, ${runs} alternating rounds of ${seconds} s, ${connections} connections (medians)\n`,
  )
  console.log(
    table(
      [
        'target',
        'req/s',
        `÷ ${BARE}`,
        ...(builds.length > 1 ? [`req/s ÷ ${builds[0].name}`, `CPU/req ÷ ${builds[0].name}`] : []),
        'p99 ms',
        'server CPU µs/req',
        'server CPU %',
        'generator CPU %',
        'others CPU %',
        'errors',
        'noisy runs',
      ],
      Object.entries(summary).map(([name, s]) => [
        name,
        s.reqPerSec,
        vsBare[name] ? range(vsBare[name]) : 1,
        ...(builds.length > 1
          ? [vsFirst[name] ? range(vsFirst[name]) : '', cpuVsFirst[name] ? range(cpuVsFirst[name]) : '']
          : []),
        s.p99Ms,
        s.serverCpuMicrosPerRequest,
        s.serverCpuPercent,
        s.generatorCpuPercent,
        s.otherProcessesCpuPercent,
        s.errors,
        s.noisyRuns,
      ]),
    ),
  )
  const ratio = vsBare[builds[0].name].median
  console.log(
    `\n${builds[0].name} / ${BARE}: ${ratio} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  )

  const record = {
    bench: 'http-health',
    date: new Date().toISOString(),
    command: commandLine(),
    machine: machine(),
    revision: revision(),
    params: {
      runs,
      seconds,
      connections,
      warmupSeconds: warmup,
      rate: rate || null,
      builds: Object.fromEntries(
        builds.map((b) => [
          b.name,
          b.mainJs.startsWith(ROOT + path.sep) ? path.relative(ROOT, b.mainJs) : b.mainJs,
        ]),
      ),
      noise,
      generator: 'autocannon (in-process)',
    },
    summary,
    ratio,
    ratioToBare: vsBare,
    ...(builds.length > 1 ? { ratioToFirstBuild: vsFirst, cpuPerRequestToFirstBuild: cpuVsFirst } : {}),
    targetRatio: TARGET_RATIO,
    met: ratio >= TARGET_RATIO,
    runs: results,
  }
  const json = await writeJson(`${flags.out}.json`, record)
  const svg = writeChart(`${flags.out}.svg`, {
    title: `GET /health: CollabCanvas vs bare Fastify, same response`,
    subtitle: `median of ${runs} alternating rounds, ${seconds} s, ${connections} connections, ${record.machine.cpus} cores, Node ${process.version}; ratio ${ratio}`,
    panels: [
      {
        title: 'throughput',
        unit: 'req/s',
        series: ['req/s'],
        groups: Object.entries(summary).map(([name, s]) => ({ label: name, values: [s.reqPerSec] })),
      },
      {
        title: 'latency',
        unit: 'ms',
        series: ['p50', 'p99'],
        groups: Object.entries(summary).map(([name, s]) => ({ label: name, values: [s.p50Ms, s.p99Ms] })),
      },
      {
        title: 'server CPU per request',
        unit: 'µs',
        series: ['µs/req'],
        groups: Object.entries(summary).map(([name, s]) => ({
          label: name,
          values: [s.serverCpuMicrosPerRequest],
        })),
      },
    ],
  })
  console.log(`\nwrote ${path.relative(process.cwd(), json)} and ${path.relative(process.cwd(), svg)}`)
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}

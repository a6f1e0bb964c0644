/**
 * `npm run bench:http` — GET /health throughput and latency of CollabCanvas (Fastify + SQLite
 * check) against a bare node:http server measured in the same run (bench/peers/bareHttpHealth.mjs).
 * Two more baselines split the gap: the bare server sending CollabCanvas's exact response headers
 * (the A5 security headers and a request id: `bare-http-same-headers`), Fastify with no plugins
 * (`bare-fastify`, bench/peers/bareFastifyHealth.mjs), and that Fastify sending the same headers
 * (`bare-fastify-same-headers`): the least a Fastify server meeting the contract does.
 *
 * All servers run as child processes on loopback ports; autocannon (programmatic, in this
 * process) loads one at a time, alternating, for --runs rounds; the report gives the median
 * req/s and p99 of each, the ratio CollabCanvas/bare (target ≥ 0.8), and the CPU of the load
 * generator and of each server (the generator shares the 2 cores with the server under load),
 * with the server's CPU time per request, which other load on the machine disturbs less.
 *
 * Run:  npm run bench:http
 *       node bench/httpHealth.mjs [--runs 3] [--seconds 5] [--connections 100] [--warmup 1]
 *                                 [--targets collabcanvas,bare-http,bare-http-same-headers,bare-fastify,…]
 *                                 [--quiet-wait 30] [--quiet-below 20] [--max-others 25] [--noisy-retries 2]
 *       Other builds and tests share these 2 cores: before each run it waits up to --quiet-wait s
 *       for the rest of the machine to use < --quiet-below % of a core, and a run during which
 *       the rest used > --max-others % is run again, at most --noisy-retries times (lib/noise.mjs).
 *       (needs a build: dist/server/main.js)
 * Writes bench/results/http-health.json and bench/results/http-health.svg.
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

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '1' },
    targets: {
      type: 'string',
      default: 'collabcanvas,bare-http,bare-http-same-headers,bare-fastify,bare-fastify-same-headers',
    },
    ...NOISE_FLAGS,
  },
})
const runs = Math.max(1, Number(flags.runs))
const seconds = Math.max(1, Number(flags.seconds))
const connections = Math.max(1, Number(flags.connections))
const warmup = Math.max(0, Number(flags.warmup))
const noise = noisePolicy(flags)

const mainJs = path.join(ROOT, 'dist', 'server', 'main.js')
if (!existsSync(mainJs)) {
  console.error(`bench:http: ${path.relative(process.cwd(), mainJs)} is missing; run npm run build first`)
  process.exit(1)
}

function load(url, duration) {
  return autocannon({ url, connections, duration, pipelining: 1 })
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

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-http-'))
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))
const bareHttp = path.join(ROOT, 'bench', 'peers', 'bareHttpHealth.mjs')
const bareFastify = path.join(ROOT, 'bench', 'peers', 'bareFastifyHealth.mjs')
const TARGETS = {
  collabcanvas: { args: [mainJs, 'serve'], env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn' } },
  'bare-http': { args: [bareHttp] },
  'bare-http-same-headers': { args: [bareHttp], env: { RESPONSE_HEADERS: 'collabcanvas' } },
  'bare-fastify': { args: [bareFastify] },
  'bare-fastify-same-headers': { args: [bareFastify], env: { RESPONSE_HEADERS: 'collabcanvas' } },
}
const targets = flags.targets.split(',').map((t) => t.trim())
for (const required of ['collabcanvas', 'bare-http']) if (!targets.includes(required)) targets.push(required)
for (const t of targets)
  if (!(t in TARGETS)) {
    console.error(`bench:http: unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`)
    process.exit(1)
  }

const servers = []
try {
  for (const name of targets) servers.push(await startServer({ name, ...TARGETS[name] }))

  if (warmup > 0) for (const s of servers) await load(`${s.baseUrl}/health`, warmup)

  const results = []
  for (let run = 1; run <= runs; run++) {
    // Alternate which server goes first so neither always follows the other's aftermath.
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
  const ratio = round(summary.collabcanvas.reqPerSec / summary['bare-http'].reqPerSec, 3)
  const cpuCostRatio = round(
    summary.collabcanvas.serverCpuMicrosPerRequest / summary['bare-http'].serverCpuMicrosPerRequest,
    2,
  )
  // Each target's throughput over bare node:http's: where between the baselines CollabCanvas sits.
  const ratiosToBare = Object.fromEntries(
    Object.entries(summary).map(([name, s]) => [
      name,
      round(s.reqPerSec / summary['bare-http'].reqPerSec, 3),
    ]),
  )

  console.log(
    `\nGET /health, ${runs} alternating run(s) of ${seconds} s, ${connections} connections (medians)\n`,
  )
  console.log(
    table(
      [
        'target',
        'req/s',
        '÷ bare-http',
        'p50 ms',
        'p99 ms',
        'server CPU %',
        'server CPU µs/req',
        'generator CPU %',
        'others CPU %',
        'errors',
        'noisy runs',
      ],
      Object.entries(summary).map(([name, s]) => [
        name,
        s.reqPerSec,
        ratiosToBare[name],
        s.p50Ms,
        s.p99Ms,
        s.serverCpuPercent,
        s.serverCpuMicrosPerRequest,
        s.generatorCpuPercent,
        s.otherProcessesCpuPercent,
        s.errors,
        s.noisyRuns,
      ]),
    ),
  )
  console.log(
    `\nratio collabcanvas / bare-http: ${ratio} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  )
  console.log(`server CPU per request, collabcanvas / bare-http: ${cpuCostRatio}×`)

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
      noise,
      generator: 'autocannon (in-process)',
    },
    summary,
    ratio,
    cpuCostRatio,
    ratiosToBare,
    targetRatio: TARGET_RATIO,
    met: ratio >= TARGET_RATIO,
    runs: results,
  }
  const json = await writeJson('http-health.json', record)
  const svg = writeChart('http-health.svg', {
    title: 'GET /health: CollabCanvas vs bare node:http',
    subtitle: `median of ${runs} alternating runs, ${seconds} s, ${connections} connections, ${record.machine.cpus} cores, Node ${process.version}; ratio ${ratio}`,
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

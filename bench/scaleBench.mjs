/**
 * `npm run bench:scale` — what scale-out costs (issue 23, docs/scaling.md). In one run, for each
 * load, four deployments side by side, alternating run by run, loopback only:
 *
 *   one     one process (BUS=memory, SQLite)                   — the baseline
 *   sqlite  two processes on one DATA_DIR (BUS=sqlite)         — the SQLite message queue
 *   onepg   one process (BUS=memory) on PostgreSQL             — the redis target's storage alone
 *   redis   two processes on PostgreSQL + Redis (BUS=redis)    — pub/sub across hosts
 *
 * Load (the original design's): 100 users in 10 canvases, each 30 cursor moves/s and an edit
 * every 5 s; and 5× that (500 users in 50 canvases). Client i connects to instance i mod 2, so
 * half of every canvas's receivers are on the other instance than a sender. Reported: fan-out
 * latency p50/p95/p99 of edits (all deliveries, and cross-instance ones alone) and of cursors,
 * delivered ratio, ack latency, CPU. How it measures: bench/lib/loadScenario.mjs.
 * Then the durable write rate of the SQLite message queue alone (bench/lib/queueWriteRate.mjs).
 *
 * Targets: every edit delivered; SQLite queue cross-instance p95 < 20 ms; Redis p95 within 5 ms
 * of one instance's p95 in the same run; queue writes ≥ 5,000 messages/s.
 *
 * Run:  npm run bench:scale                 (both loads, all targets, 3 runs: ~10 min on a quiet machine)
 *       node bench/scaleBench.mjs --load 1 --target one,sqlite --runs 1 --seconds 5
 * Flags: --load 1,5 (multiples of the design load)   --target one|sqlite|onepg|redis|all (or a list)
 *        --runs 3  --seconds 10  --warmup 2  --drain 5   --queue-messages 50000
 *        --quiet-wait 30 --quiet-below 20 --max-others 25 --noisy-retries 2 (bench/lib/noise.mjs)
 * Needs a build (the npm script builds first), PostgreSQL at DATABASE_URL and Redis at REDIS_URL
 * (defaults: postgres://postgres@127.0.0.1:5432/test, redis://127.0.0.1:6379) for the redis target.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { closeApiAgent, retried as apiRetries } from './lib/api.mjs'
import { runLoad } from './lib/loadScenario.mjs'
import { NOISE_FLAGS, measureQuietly, noisePolicy } from './lib/noise.mjs'
import { startServer } from './lib/proc.mjs'
import { measureQueueWrites } from './lib/queueWriteRate.mjs'
import { commandLine, machine, revision, table, writeJson } from './lib/report.mjs'
import { CollabCanvasSetup, loadLayout, resolveCanvases } from './lib/setup.mjs'
import { medianOfRuns, sumCounts } from './lib/stats.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const MAIN_JS = path.join(ROOT, 'dist', 'server', 'main.js')
const log = (line) => console.error(`[bench:scale] ${line}`)

const { values: flags } = parseArgs({
  options: {
    load: { type: 'string', default: '1,5' },
    target: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    drain: { type: 'string', default: '5' },
    'queue-messages': { type: 'string', default: '50000' },
    ...NOISE_FLAGS,
  },
})

function num(name, min) {
  const v = Number(flags[name])
  if (!Number.isFinite(v) || v < min) {
    console.error(`bench:scale: --${name} must be a number ≥ ${min}, got "${flags[name]}"`)
    process.exit(2)
  }
  return v
}

const TARGETS = {
  one: { title: 'one process (BUS=memory)', instances: 1, storage: 'sqlite', env: { BUS: 'memory' } },
  sqlite: { title: 'two processes, BUS=sqlite', instances: 2, storage: 'sqlite', env: { BUS: 'sqlite' } },
  // The same storage as `redis` in one process: what the bus and the second process add, apart
  // from PostgreSQL's commits.
  onepg: {
    title: 'one process (BUS=memory) on PostgreSQL',
    instances: 1,
    storage: 'pg',
    env: { BUS: 'memory' },
  },
  redis: {
    title: 'two processes, BUS=redis + PostgreSQL',
    instances: 2,
    storage: 'pg',
    env: { BUS: 'redis' },
  },
}
const targetNames =
  flags.target === 'all' ? Object.keys(TARGETS) : flags.target.split(',').map((t) => t.trim())
if (targetNames.length === 0 || targetNames.some((t) => !(t in TARGETS))) {
  console.error(`bench:scale: --target must be one of ${Object.keys(TARGETS).join(', ')} or all`)
  process.exit(2)
}
const loads = flags.load.split(',').map((l) => Number(l.trim()))
if (loads.some((l) => !Number.isInteger(l) || l < 1 || l > 10)) {
  console.error('bench:scale: --load must be whole multiples 1…10 of the design load, e.g. 1,5')
  process.exit(2)
}
const runs = num('runs', 1)
const seconds = num('seconds', 1)
const warmupSeconds = num('warmup', 0)
const drainSeconds = num('drain', 0)
const queueMessages = num('queue-messages', 1000)
const noise = noisePolicy(flags)
/** The design load, per multiple: users in canvases of 10, 30 cursor moves/s and an edit every 5 s each. */
const DESIGN = { users: 100, canvases: 10, updateRate: 0.2, cursorRate: 30 }

// ---- storage: one SQLite DATA_DIR for `one` and `sqlite`, one PostgreSQL schema for `redis` ---------

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-scale-'))
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))
const databaseBase = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const schemaName = `bench_scale_${randomBytes(4).toString('hex')}`

async function withAdmin(work) {
  const client = new pg.Client({ connectionString: databaseBase, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

function schemaUrl() {
  const url = new URL(databaseBase)
  url.searchParams.set('options', `-c search_path=${schemaName}`)
  return url.toString()
}

const storageEnv = {
  // Empty is unset: the SQLite targets must not inherit the DATABASE_URL the redis target uses.
  sqlite: { DATA_DIR: dataDir, DATABASE_URL: '' },
  pg: { DATA_DIR: dataDir, DATABASE_URL: schemaUrl(), REDIS_URL: redisUrl },
}
const setups = { sqlite: new CollabCanvasSetup(log), pg: new CollabCanvasSetup(log) }

// ---- running ------------------------------------------------------------------------------------

async function startTarget(name) {
  const target = TARGETS[name]
  const servers = []
  try {
    for (let i = 0; i < target.instances; i++) {
      servers.push(
        await startServer({
          name: `${name}-${i}`,
          args: [MAIN_JS, 'serve'],
          env: {
            LOG_LEVEL: 'warn',
            REGISTRATIONS_PER_HOUR: '1000000',
            ...storageEnv[target.storage],
            ...target.env,
          },
        }),
      )
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()))
    throw err
  }
  return servers
}

async function runOnce(load, name, run) {
  const target = TARGETS[name]
  const servers = await startTarget(name)
  try {
    const setup = setups[target.storage]
    setup.useServer(servers[0].baseUrl)
    const canvases = await resolveCanvases(
      setup,
      loadLayout(`x${load}`, DESIGN.users * load, DESIGN.canvases * load),
    )
    return await runLoad({
      wsUrls: servers.map((s) => s.wsUrl),
      serverPids: servers.map((s) => s.pid),
      canvases,
      updateRate: DESIGN.updateRate,
      cursorRate: DESIGN.cursorRate,
      seconds,
      warmupSeconds,
      drainSeconds,
      idPrefix: `${randomBytes(3).toString('hex')}${run}`,
    })
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

function describeRun(r) {
  if (r.error) return `error: ${r.error}`
  const cross = r.updates.crossFanoutMs
  return (
    `edits ${r.updates.delivered}/${r.updates.expected} (${r.updates.deliveredRatio}), ` +
    `fan-out p95 ${r.updates.fanoutMs.p95} ms` +
    (cross ? ` (cross-instance p95 ${cross.p95} ms)` : '') +
    `, cursors p95 ${r.cursors.fanoutMs.p95} ms, ack p95 ${r.acks.ms.p95} ms, CPU servers ${r.cpuPercent.server}% others ${r.cpuPercent.otherProcesses}%`
  )
}

// ---- acceptance and reporting ---------------------------------------------------------------------

function acceptance(summaries) {
  const oneP95 = summaries.one?.updates.fanoutMs.p95
  const onePgP95 = summaries.onepg?.updates.fanoutMs.p95
  const over = (p95, base) => (typeof base === 'number' ? Math.round((p95 - base) * 100) / 100 : null)
  const within5 = (p95, base) => (typeof base === 'number' ? p95 <= base + 5 : null)
  const result = {}
  for (const [name, s] of Object.entries(summaries)) {
    const crossP95 = s.updates.crossFanoutMs?.p95
    const p95 = s.updates.fanoutMs.p95
    result[name] = {
      everyEditDelivered: s.updates.delivered >= s.updates.expected,
      ...(name === 'sqlite' ? { crossP95Below20ms: typeof crossP95 === 'number' && crossP95 < 20 } : {}),
      // The target: against one process on its default storage (SQLite); and, to tell the bus
      // from PostgreSQL, against one process on PostgreSQL too.
      ...(name === 'redis'
        ? {
            p95MinusOneInstanceMs: over(p95, oneP95),
            p95Within5msOfOneInstance: within5(p95, oneP95),
            p95MinusOnePgInstanceMs: over(p95, onePgP95),
            p95Within5msOfOnePgInstance: within5(p95, onePgP95),
          }
        : {}),
    }
  }
  return result
}

const mark = (v) =>
  v === true ? 'yes' : v === false ? 'NO' : v === null || v === undefined ? '-' : String(v)

function print(summaries, accepted) {
  const rows = Object.entries(summaries)
  const ms = (h) => (h ? [h.p50, h.p95, h.p99] : ['-', '-', '-'])
  console.log(
    table(
      [
        'target',
        'edits delivered',
        'expected',
        'ratio',
        'edit fan-out ms p50',
        'p95',
        'p99',
        'cross-instance p50',
        'p95',
        'p99',
        'cursor ms p50',
        'p95',
        'p99',
        'ack ms p95',
        'servers CPU %',
        'others CPU %',
      ],
      rows.map(([t, s]) => [
        t,
        s.updates.delivered,
        s.updates.expected,
        s.updates.deliveredRatio,
        ...ms(s.updates.fanoutMs),
        ...ms(s.updates.crossFanoutMs),
        ...ms(s.cursors.fanoutMs),
        s.acks.ms.p95,
        s.cpuPercent.server,
        s.cpuPercent.otherProcesses,
      ]),
    ),
  )
  console.log()
  const checks = [...new Set(Object.values(accepted).flatMap((a) => Object.keys(a)))]
  console.log(
    table(
      ['target', ...checks],
      Object.entries(accepted).map(([t, a]) => [t, ...checks.map((c) => mark(a[c]))]),
    ),
  )
}

async function main() {
  if (!existsSync(MAIN_JS)) {
    console.error(`bench:scale: ${path.relative(process.cwd(), MAIN_JS)} is missing; run npm run build first`)
    process.exit(1)
  }
  log(`loads ${loads.join(',')}×; targets ${targetNames.join(',')}; ${runs} run(s); data ${dataDir}`)
  const usesPg = targetNames.some((t) => TARGETS[t].storage === 'pg')
  if (usesPg) await withAdmin((admin) => admin.query(`CREATE SCHEMA ${schemaName}`))
  const record = {
    bench: 'scale',
    date: new Date().toISOString(),
    command: commandLine(),
    machine: machine(),
    revision: revision(),
    params: { design: DESIGN, loads, seconds, warmupSeconds, drainSeconds, runs, noise },
    notes: [
      'Client i connects to instance i mod n: half of every canvas on each instance of a two-process target.',
      'crossFanoutMs counts only deliveries to a client on another instance than the sender (the sender instance rides in x).',
      'Edits are object updates acked after the commit; cursor moves are coalesced per tick (and per BUS_CURSOR_BATCH_MS on the bus), so fewer cursor positions than offered is by design.',
      'servers CPU is the sum over the target’s processes (100 % = one core); the load generator shares the same 2 cores.',
    ],
    loads: {},
  }
  try {
    for (const load of loads) {
      log(`load ${load}×: ${DESIGN.users * load} users in ${DESIGN.canvases * load} canvases`)
      const results = []
      for (let run = 1; run <= runs; run++) {
        const order = targetNames.map((_, i) => targetNames[(i + run - 1) % targetNames.length])
        for (const name of order) {
          let r
          try {
            r = await measureQuietly(
              () => runOnce(load, name, run),
              noise,
              (result) => result.cpuPercent?.otherProcesses,
              (line) => log(`  run ${run} ${name}: ${line}`),
            )
          } catch (err) {
            r = { error: err.message }
          }
          results.push({ target: name, run, ...r })
          log(`  run ${run} ${name}: ${describeRun(r)}${r.noise?.noisy ? ' (noisy)' : ''}`)
        }
      }
      const summaries = {}
      for (const t of targetNames) {
        const ok = results.filter((r) => r.target === t && !r.error)
        if (ok.length === 0) continue
        const summary = medianOfRuns(ok.map(({ target: _t, run: _r, noise: _n, ...rest }) => rest))
        summary.runs = ok.length
        summary.noisyRuns = ok.filter((r) => r.noise?.noisy).length
        for (const field of ['errors', 'closes', 'otherMessages'])
          if (field in summary) summary[field] = sumCounts(ok.map((r) => r[field]))
        summaries[t] = summary
      }
      const accepted = acceptance(summaries)
      console.log(
        `\nload ${load}×: ${DESIGN.users * load} users in ${DESIGN.canvases * load} canvases, ` +
          `${DESIGN.cursorRate} cursor moves/s and an edit every ${1 / DESIGN.updateRate} s each — median of ${runs} run(s)\n`,
      )
      if (Object.keys(summaries).length === 0) console.log('no successful run')
      else print(summaries, accepted)
      record.loads[`${load}x`] = { summary: summaries, acceptance: accepted, runs: results }
    }

    log(`SQLite message queue: ${queueMessages} messages`)
    const queue = await measureQueueWrites({ messages: queueMessages, mainJs: MAIN_JS })
    record.queueWrites = { ...queue, atLeast5000PerSec: queue.busyTurns.perSec >= 5_000 }
    console.log(
      `\nSQLite message queue writes: ${queue.busyTurns.perSec} messages/s in transactions of ${queue.busyTurns.perTurn} ` +
        `(one per event-loop turn, as under load); ${queue.singleTurns.perSec} messages/s one per transaction; ` +
        `target ≥ 5,000/s: ${mark(record.queueWrites.atLeast5000PerSec)}\n`,
    )
    if (apiRetries.count > 0) log(`setup: ${apiRetries.count} request(s) got 503 and were retried`)
    const file = await writeJson('scale.json', record)
    console.log(`wrote ${path.relative(process.cwd(), file)}\n`)
  } finally {
    if (usesPg) await withAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${schemaName} CASCADE`))
  }
}

try {
  await main()
} finally {
  closeApiAgent()
}

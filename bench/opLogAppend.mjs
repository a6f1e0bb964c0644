/**
 * Durable append throughput of SqliteOpLog: group commit (many appends per event-loop turn,
 * one transaction and one fsync for all of them) against one awaited append at a time, the
 * baseline measured in the same run. The one-at-a-time case runs twice: with the checkpoint
 * worker (the default) and with SQLite's inline auto-checkpoint (`checkpoint: false`), whose
 * checkpoints run inside the committing call [D6]; for those two it also reports ack latency
 * and the largest WAL file seen.
 *
 * Every variant opens a fresh database in a temp dir the way the server does (openSqlite:
 * WAL, synchronous=FULL) and appends small update ops spread over 10 canvases. Variants
 * alternate within each of --runs rounds; the report gives medians.
 *
 * Run:  npm run build && node bench/opLogAppend.mjs [--runs 3] [--grouped 200000]
 *                          [--per-turn 1000] [--single 5000]
 *       (imports dist/: build first). Other work on the machine skews the numbers: the load
 *       average is recorded with each round; compare only runs of this script.
 * Writes bench/results/oplog-append.json. Self-contained on purpose (no bench/lib imports).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const CANVASES = 10

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    grouped: { type: 'string', default: '200000' },
    'per-turn': { type: 'string', default: '1000' },
    single: { type: 'string', default: '5000' },
  },
})
const runs = Math.max(1, Number(flags.runs))
const groupedTotal = Math.max(1, Number(flags.grouped))
const perTurn = Math.max(1, Number(flags['per-turn']))
const singleTotal = Math.max(1, Number(flags.single))

const round = (v, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
/** Sorted samples → the value at percentile p (nearest rank). */
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

const dist = (...parts) => path.join(ROOT, 'dist', ...parts)
if (!existsSync(dist('log', 'sqlite', 'sqliteOpLog.js'))) {
  console.error('bench/opLogAppend.mjs: dist/ is missing; run npm run build first')
  process.exit(1)
}
const { SqliteOpLog } = await import(pathToFileURL(dist('log', 'sqlite', 'sqliteOpLog.js')).href)
const { openSqlite, SQLITE_FILE_NAME } = await import(pathToFileURL(dist('sqlite', 'openSqlite.js')).href)
const { migrateSqlite } = await import(pathToFileURL(dist('server', 'deps.js')).href)

async function openLog(options) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oplog-bench-'))
  const db = openSqlite(dir)
  migrateSqlite(db)
  db.prepare("INSERT INTO users VALUES ('u', 'u@bench.test', 'bench', 'x', '2026-01-01')").run()
  const canvases = Array.from({ length: CANVASES }, (_, i) => `canvas-${i}`)
  const insert = db.prepare("INSERT INTO canvases VALUES (?, 'bench', 'u', '2026-01-01', '2026-01-01')")
  for (const id of canvases) insert.run(id)
  const log = new SqliteOpLog(db, Date.now, options)
  await log.checkpointerStarted()
  const walFile = path.join(dir, `${SQLITE_FILE_NAME}-wal`)
  return {
    log,
    canvases,
    walBytes: () => (existsSync(walFile) ? statSync(walFile).size : 0),
    async close() {
      await log.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const input = (i) => ({
  opId: `op-${i}`,
  userId: 'u',
  op: { kind: 'update', id: `obj-${i % 50}`, changes: { x: i, y: i * 2 } },
})

/** perTurn appends issued in one turn, awaited together, until groupedTotal. */
async function grouped() {
  const s = await openLog({})
  const t0 = performance.now()
  for (let n = 0; n < groupedTotal;) {
    const turn = []
    for (let k = 0; k < perTurn && n < groupedTotal; k++, n++) {
      turn.push(s.log.append(s.canvases[n % CANVASES], [input(n)]))
    }
    await Promise.all(turn)
  }
  const seconds = (performance.now() - t0) / 1000
  const { transactions } = s.log.stats
  await s.close()
  return { appendsPerSec: Math.round(groupedTotal / seconds), transactions }
}

/** One append, awaited, then the next: every ack waits for its own commit. */
async function oneAtATime(options) {
  const s = await openLog(options)
  const latency = new Float64Array(singleTotal)
  let maxWalBytes = 0
  const t0 = performance.now()
  for (let n = 0; n < singleTotal; n++) {
    const a = performance.now()
    await s.log.append(s.canvases[n % CANVASES], [input(n)])
    latency[n] = performance.now() - a
    if (n % 100 === 0) maxWalBytes = Math.max(maxWalBytes, s.walBytes())
  }
  const seconds = (performance.now() - t0) / 1000
  const { checkpoints, restarts, truncations } = s.log.stats
  await s.close()
  latency.sort()
  const ms = (p) => round(percentile(latency, p), 3)
  return {
    appendsPerSec: Math.round(singleTotal / seconds),
    ackMs: { p50: ms(50), p99: ms(99), p999: ms(99.9), max: ms(100) },
    maxWalMiB: round(maxWalBytes / 2 ** 20, 1),
    checkpoints,
    restarts,
    truncations,
  }
}

const VARIANTS = {
  grouped: () => grouped(),
  'one-at-a-time': () => oneAtATime({}),
  'one-at-a-time, inline checkpoints': () => oneAtATime({ checkpoint: false }),
}

const rounds = []
for (let r = 0; r < runs; r++) {
  const result = { loadAverage1m: round(os.loadavg()[0]) }
  for (const [name, run] of Object.entries(VARIANTS)) result[name] = await run()
  rounds.push(result)
  console.error(`round ${r + 1}/${runs} done (load average ${result.loadAverage1m})`)
}

const med = Object.fromEntries(
  Object.keys(VARIANTS).map((name) => {
    const of = (get) => median(rounds.map((r) => get(r[name])))
    const m = { appendsPerSec: of((v) => v.appendsPerSec) }
    if (rounds[0][name].ackMs) {
      m.ackMs = Object.fromEntries(Object.keys(rounds[0][name].ackMs).map((k) => [k, of((v) => v.ackMs[k])]))
      m.maxWalMiB = of((v) => v.maxWalMiB)
    }
    return [name, m]
  }),
)
const ratio = round(med.grouped.appendsPerSec / med['one-at-a-time'].appendsPerSec, 1)

const rows = Object.entries(med).map(([name, m]) => [
  name.padEnd(34),
  String(m.appendsPerSec).padStart(9),
  ...[m.ackMs?.p50, m.ackMs?.p99, m.ackMs?.p999, m.ackMs?.max, m.maxWalMiB].map((v) =>
    String(v ?? '-').padStart(7),
  ),
])
console.log(
  ['variant'.padEnd(34), 'appends/s', ' p50 ms', '    p99', '  p99.9', '    max', 'WAL MiB'].join('  '),
)
for (const r of rows) console.log(r.join('  '))
console.log(`group commit (${perTurn} appends per turn) / one at a time: ${ratio}x (medians of ${runs})`)

const cpus = os.cpus()
const resultsDir = path.join(ROOT, 'bench', 'results')
mkdirSync(resultsDir, { recursive: true })
const file = path.join(resultsDir, 'oplog-append.json')
const result = {
  bench: 'oplog-append',
  command: ['node', 'bench/opLogAppend.mjs', ...process.argv.slice(2)].join(' '),
  machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version },
  settings: { runs, groupedTotal, perTurn, singleTotal, canvases: CANVASES },
  median: med,
  groupedOverOneAtATime: ratio,
  rounds,
}
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
console.log(`wrote ${path.relative(process.cwd(), file)}`)

/**
 * `node bench/httpPaired.mjs` — is build B cheaper per GET /health than build A? Paired A/B of
 * server builds, for changes to the request path that are smaller than bench:http's noise.
 *
 * On these shared machines a server's speed swings ±40 % from one minute to the next, and
 * instruction counts under callgrind moved by ±50 % between repeats (docs/performance.md). This
 * bench starts every build at once and loads them in short alternating bursts (wrk, 1 thread,
 * --connections, --seconds each), so all builds see the same slow and fast minutes. Per burst it
 * reads each server's CPU time from /proc; the result is, per build, the median CPU µs per
 * request and req/s, each with the median of its per-round ratio to the first build (the
 * pairing cancels drift). With --pin auto (the default, on 2+ cores with taskset) every server
 * runs on core 1 and wrk on core 0, so neither is moved around or lands on the other's core:
 * two identical builds then measured within 2.5 % of each other, against ±5 % unpinned.
 *
 * Run:  node bench/httpPaired.mjs [--rounds 10] [--seconds 2] [--connections 50] [--pin auto|off] \
 *         base=/tmp/old/dist/server/main.js new=dist/server/main.js [name=path/to/peer.mjs …]
 *       Each target is name=script; a script named main.js is started with `serve`. The first
 *       target is the one the others are compared to. Needs wrk (apt-get install -y wrk) and
 *       builds to compare (e.g. `git worktree add /tmp/old <commit> && cd /tmp/old && npm ci &&
 *       npm run build`). Prints a table; writes nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { processCpuSeconds, startServer } from './lib/proc.mjs'
import { table } from './lib/report.mjs'
import { median, round } from './lib/stats.mjs'

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    pin: { type: 'string', default: 'auto' },
  },
})
const rounds = Math.max(1, Number(flags.rounds))
const seconds = Math.max(1, Number(flags.seconds))
const connections = Math.max(1, Number(flags.connections))

const pinned = flags.pin !== 'off' && os.availableParallelism() >= 2 && !spawnSync('taskset', ['-V']).error
/** argv for a command, on core `cpu` when pinned. */
const onCore = (cpu, argv) => (pinned ? ['taskset', '-c', String(cpu), ...argv] : argv)

if (spawnSync('wrk', ['-v']).error) {
  console.error('bench/httpPaired.mjs needs wrk: apt-get install -y wrk')
  process.exit(1)
}
const targets = positionals.map((spec) => {
  const eq = spec.indexOf('=')
  if (eq <= 0) {
    console.error(`bench/httpPaired.mjs: a target is name=script, not ${spec}`)
    process.exit(1)
  }
  const script = path.resolve(spec.slice(eq + 1))
  return { name: spec.slice(0, eq), args: path.basename(script) === 'main.js' ? [script, 'serve'] : [script] }
})
if (targets.length < 2) {
  console.error(
    'bench/httpPaired.mjs: give at least two targets, e.g. base=/tmp/old/dist/server/main.js new=dist/server/main.js',
  )
  process.exit(1)
}

/** One wrk burst against a server: its CPU time per request answered, and its rate. */
function burst(server, durationSeconds) {
  const before = processCpuSeconds(server.pid)
  const [command, ...args] = onCore(0, [
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${durationSeconds}s`,
    `${server.baseUrl}/health`,
  ])
  const out = execFileSync(command, args, { encoding: 'utf8' })
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  if (requests === 0 || /Non-2xx|Socket errors/.test(out))
    throw new Error(`${server.name}: wrk reported\n${out}`)
  const cpuSeconds = processCpuSeconds(server.pid) - before
  const perSecond = Number(/Requests\/sec:\s*([\d.]+)/.exec(out)?.[1] ?? 0)
  return { microsPerRequest: (cpuSeconds * 1e6) / requests, perSecond }
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-paired-'))
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))
const servers = []
try {
  for (const [i, t] of targets.entries()) {
    const env = { DATA_DIR: mkdtempSync(path.join(dataDir, `${i}-`)), LOG_LEVEL: 'warn' }
    const server = await startServer({ name: t.name, args: t.args, env })
    servers.push(server)
    // -a: every thread of the server (V8's and libuv's helpers too).
    if (pinned) execFileSync('taskset', ['-a', '-cp', '1', String(server.pid)], { stdio: 'ignore' })
  }
  for (const s of servers) burst(s, 2) // warm-up: JIT, caches
  const bursts = new Map(servers.map((s) => [s.name, []]))
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so no build always follows the same one.
    for (const s of r % 2 === 0 ? servers : [...servers].reverse()) bursts.get(s.name).push(burst(s, seconds))
  }
  const first = bursts.get(servers[0].name)
  /** The median of a build's per-round ratio to the first build, for one measure. */
  const pairedRatio = (mine, measure) => round(median(mine.map((b, i) => measure(b) / measure(first[i]))), 3)
  console.log(
    `\nGET /health: ${rounds} alternating rounds of ${seconds} s, ${connections} connections, ` +
      (pinned ? 'servers on core 1, wrk on core 0\n' : 'not pinned\n'),
  )
  console.log(
    table(
      [
        'target',
        'CPU µs/request (median)',
        `÷ ${servers[0].name}`,
        'req/s (median)',
        `÷ ${servers[0].name}`,
        'CPU µs/request by round',
      ],
      servers.map((s) => {
        const mine = bursts.get(s.name)
        return [
          s.name,
          round(median(mine.map((b) => b.microsPerRequest)), 1),
          pairedRatio(mine, (b) => b.microsPerRequest),
          round(median(mine.map((b) => b.perSecond)), 0),
          pairedRatio(mine, (b) => b.perSecond),
          mine.map((b) => round(b.microsPerRequest, 1)).join(' '),
        ]
      }),
    ),
  )
  console.log('(÷: the median of the per-round ratios to the first target)')
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}

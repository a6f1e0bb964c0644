/**
 * `node bench/httpPaired.mjs` — is build B cheaper per GET /health than build A? Paired A/B of
 * server builds, for changes to the request path that are smaller than bench:http's noise.
 *
 * On these shared machines a server's speed swings ±40 % from one minute to the next, and
 * instruction counts under callgrind moved by ±50 % between repeats (docs/performance.md). This
 * bench starts every build at once and loads them in short alternating bursts (wrk, 1 thread,
 * --connections, --seconds each), so all builds see the same slow and fast minutes. Per burst it
 * reads each server's CPU time from /proc; the result is, per build, the median CPU µs per
 * request and the median of its per-round ratio to the first build (the pairing cancels drift).
 *
 * Run:  node bench/httpPaired.mjs [--rounds 10] [--seconds 2] [--connections 50] \
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
  },
})
const rounds = Math.max(1, Number(flags.rounds))
const seconds = Math.max(1, Number(flags.seconds))
const connections = Math.max(1, Number(flags.connections))

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

/** One wrk burst against a server: requests answered and the server's CPU seconds meanwhile. */
function burst(server, durationSeconds) {
  const before = processCpuSeconds(server.pid)
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${connections}`, `-d${durationSeconds}s`, `${server.baseUrl}/health`],
    { encoding: 'utf8' },
  )
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  if (requests === 0 || /Non-2xx|Socket errors/.test(out))
    throw new Error(`${server.name}: wrk reported\n${out}`)
  return { requests, cpuSeconds: processCpuSeconds(server.pid) - before }
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-paired-'))
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))
const servers = []
try {
  for (const [i, t] of targets.entries()) {
    const env = { DATA_DIR: mkdtempSync(path.join(dataDir, `${i}-`)), LOG_LEVEL: 'warn' }
    servers.push(await startServer({ name: t.name, args: t.args, env }))
  }
  for (const s of servers) burst(s, 2) // warm-up: JIT, caches
  const perRequest = new Map(servers.map((s) => [s.name, []]))
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so no build always follows the same one.
    for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
      const { requests, cpuSeconds } = burst(s, seconds)
      perRequest.get(s.name).push((cpuSeconds * 1e6) / requests)
    }
  }
  const first = perRequest.get(servers[0].name)
  console.log(
    `\nGET /health: server CPU per request, ${rounds} alternating rounds of ${seconds} s, ${connections} connections\n`,
  )
  console.log(
    table(
      ['target', 'CPU µs/request (median)', `÷ ${servers[0].name} (median of rounds)`, 'rounds'],
      servers.map((s) => {
        const mine = perRequest.get(s.name)
        return [
          s.name,
          round(median(mine), 1),
          round(median(mine.map((us, i) => us / first[i])), 3),
          mine.map((us) => round(us, 1)).join(' '),
        ]
      }),
    ),
  )
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}

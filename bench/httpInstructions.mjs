/**
 * `node bench/httpInstructions.mjs` — the work of one GET /health, counted instead of timed:
 * user-space instructions per request of CollabCanvas and of the bare node:http server of
 * bench:http, by `valgrind --tool=callgrind`. On these shared machines timings swing ±40 %
 * from one minute to the next (performance.md); instruction counts move a few per cent, so a
 * change to the request path can be judged here when bench:http cannot tell it from noise.
 * Kernel work (the socket write) is not counted: it is about the same for both servers.
 *
 * Per target, two runs under callgrind, each from a fresh process: --warmup requests, then
 * --requests (first run) or 3 × --requests (second run); per request = (second − first) /
 * (2 × --requests), which cancels start-up, warm-up and JIT. Load: autocannon, --connections.
 *
 * Run:  node bench/httpInstructions.mjs [--requests 4000] [--warmup 4000] [--connections 10]
 *         [--target collabcanvas|bare-http|all] [--main path/to/dist/server/main.js]
 *       (needs valgrind: apt-get install -y valgrind; a build: npm run build; ~6 min)
 * Writes bench/results/http-instructions.json.
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { startServer } from './lib/proc.mjs'
import { commandLine, machine, revision, table, writeJson } from './lib/report.mjs'
import { round } from './lib/stats.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '4000' },
    connections: { type: 'string', default: '10' },
    // Another build to count, e.g. one of an earlier commit: --main /tmp/old/dist/server/main.js
    main: { type: 'string', default: path.join(ROOT, 'dist', 'server', 'main.js') },
    target: { type: 'string', default: 'all' },
  },
})
const requests = Math.max(100, Number(flags.requests))
const warmup = Math.max(0, Number(flags.warmup))
const connections = Math.max(1, Number(flags.connections))

if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('bench:http-instructions needs valgrind: apt-get install -y valgrind')
  process.exit(1)
}

const TARGETS = [
  { name: 'collabcanvas', args: [flags.main, 'serve'] },
  { name: 'bare-http', args: [path.join(ROOT, 'bench', 'peers', 'bareHttpHealth.mjs')] },
].filter((t) => flags.target === 'all' || flags.target === t.name)

/** Instructions a fresh server under callgrind executes to start and answer `total` requests. */
async function instructionsFor(target, total, dir) {
  const outDir = mkdtempSync(path.join(dir, `${target.name}-`))
  const server = await startServer({
    name: target.name,
    args: target.args,
    env: { DATA_DIR: outDir, LOG_LEVEL: 'warn' },
    readyTimeoutMs: 180_000,
    // One file per thread: only the main thread's count is kept. Helper threads (GC, the WAL
    // checkpoint worker's 100 ms tick) do work in proportion to wall time, which valgrind
    // stretches by a varying factor: counted, they moved the total by ±20 % between repeats.
    wrapper: [
      'valgrind',
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--separate-threads=yes',
      `--callgrind-out-file=${outDir}/cg.%p`,
    ],
  })
  try {
    const result = await autocannon({ url: `${server.baseUrl}/health`, connections, amount: total })
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${target.name}: ${result.errors} errors, ${result.non2xx} non-2xx`)
  } finally {
    await server.stop(60_000)
  }
  // `cg.<pid>-01` is the main thread's; it ends with `summary: <instructions>`.
  let sum = 0
  for (const f of readdirSync(outDir).filter((n) => /^cg\.\d+-0*1$/.test(n))) {
    const m = /^summary: (\d+)/m.exec(readFileSync(path.join(outDir, f), 'utf8'))
    if (m) sum += Number(m[1])
  }
  if (sum === 0) throw new Error(`${target.name}: callgrind wrote no summary in ${outDir}`)
  return sum
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-instructions-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
const results = {}
for (const target of TARGETS) {
  const small = await instructionsFor(target, warmup + requests, dir)
  const large = await instructionsFor(target, warmup + 3 * requests, dir)
  results[target.name] = {
    instructionsPerRequest: Math.round((large - small) / (2 * requests)),
    runs: [small, large],
  }
  console.error(`${target.name}: ${results[target.name].instructionsPerRequest} instructions per request`)
}
const ratio =
  results.collabcanvas && results['bare-http']
    ? round(results.collabcanvas.instructionsPerRequest / results['bare-http'].instructionsPerRequest, 2)
    : null
console.log(
  `\nGET /health, user-space instructions per request (callgrind; ${connections} connections, ${requests}/${3 * requests} requests after ${warmup})\n`,
)
console.log(
  table(
    ['target', 'instructions/request'],
    Object.entries(results).map(([name, r]) => [name, r.instructionsPerRequest]),
  ),
)
if (ratio !== null) console.log(`\ncollabcanvas / bare-http: ${ratio}×`)
await writeJson('http-instructions.json', {
  bench: 'http-instructions',
  command: commandLine(),
  date: new Date().toISOString(),
  machine: machine(),
  revision: revision(),
  options: { requests, warmup, connections },
  results,
  ratio,
})
console.log('wrote bench/results/http-instructions.json')

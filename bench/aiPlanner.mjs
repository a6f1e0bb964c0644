/**
 * `npm run bench:ai` — the built-in planner's latency through `POST /api/canvases/:id/ai`, over
 * the planner's phrasing set (test/ai/phrasings.json: ~190 commands and a few it must refuse),
 * against `GET /api/ai/quota` measured in the same rounds (the same authentication and routing,
 * no planning): the difference is what planning, building, placing and storing cost. The planner
 * alone (parseCommand from dist/, in this process) is timed too. Target: p95 < 50 ms through HTTP.
 *
 * The built server runs as a child process with no ANTHROPIC_API_KEY (the planner only) and a
 * quota high enough for the run. Each round uses a fresh canvas holding a few shapes, selected
 * for the edit commands (which answer with a preview and store nothing).
 *
 * Run:  npm run bench:ai
 *       node bench/aiPlanner.mjs [--rounds 3] [--out ai-planner]
 * Writes bench/results/<out>.json and <out>.svg.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { apiRequest, closeApiAgent } from './lib/api.mjs'
import { startServer } from './lib/proc.mjs'
import { commandLine, machine, revision, table, writeChart, writeJson } from './lib/report.mjs'
import { round } from './lib/stats.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const TARGET_P95_MS = 50

const { values: flags } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, out: { type: 'string', default: 'ai-planner' } },
})
const rounds = Math.max(1, Number(flags.rounds))
const { phrasings, nonsense } = JSON.parse(readFileSync(path.join(ROOT, 'test/ai/phrasings.json'), 'utf8'))
const commands = [...phrasings.map(([command]) => command), ...nonsense]

const { parseCommand } = await import(path.join(ROOT, 'dist/ai/planner/parseCommand.js'))

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
  return {
    n: sorted.length,
    p50: round(at(0.5), 3),
    p95: round(at(0.95), 3),
    p99: round(at(0.99), 3),
    max: round(at(1), 3),
  }
}

/** One request's wall time in ms; 422 (a refused command) counts as an answer. */
async function timed(baseUrl, method, url, token, body) {
  const started = performance.now()
  try {
    await apiRequest(baseUrl, method, url, { token, body })
  } catch (err) {
    if (err.status !== 422) throw err
  }
  return performance.now() - started
}

const server = await startServer({
  name: 'collabcanvas',
  args: [path.join(ROOT, 'dist/server/main.js'), 'serve'],
  env: {
    DATA_DIR: `/tmp/collabcanvas-bench-ai-${process.pid}`,
    LOG_LEVEL: 'warn',
    AI_COMMANDS_PER_HOUR: '100000',
    ANTHROPIC_API_KEY: '',
  },
})
try {
  const email = `bench-ai-${process.pid}@example.com`
  const registered = await apiRequest(server.baseUrl, 'POST', '/api/register', {
    body: { email, username: `bench ai ${process.pid}`, password: 'correct horse battery staple' },
  })
  const token = registered.sessionId
  const http = []
  const baseline = []
  const planner = []
  for (let r = 0; r < rounds; r++) {
    const { canvas } = await apiRequest(server.baseUrl, 'POST', '/api/canvases', {
      token,
      body: { name: `bench ${r}` },
    })
    const url = `/api/canvases/${canvas.id}/ai`
    const seeded = await apiRequest(server.baseUrl, 'POST', url, {
      token,
      body: { command: 'draw 4 blue squares' },
    })
    const selection = seeded.objects.filter((o) => o.type === 'rect').map((o) => o.id)
    // Warm-up: the JIT and the room's first load are not what is measured.
    for (const command of commands.slice(0, 20))
      await timed(server.baseUrl, 'POST', url, token, { command, selection })
    for (const [i, command] of commands.entries()) {
      // Alternate, so a slow moment of the shared machine hits both.
      if (i % 2 === 0) baseline.push(await timed(server.baseUrl, 'GET', '/api/ai/quota', token))
      http.push(await timed(server.baseUrl, 'POST', url, token, { command, selection }))
      if (i % 2 === 1) baseline.push(await timed(server.baseUrl, 'GET', '/api/ai/quota', token))
      const started = performance.now()
      parseCommand(command)
      planner.push(performance.now() - started)
    }
  }
  const summary = {
    'POST /ai': percentiles(http),
    'GET /ai/quota (baseline)': percentiles(baseline),
    'parseCommand (in process)': percentiles(planner),
  }
  const ratio = round(summary['POST /ai'].p95 / summary['GET /ai/quota (baseline)'].p95, 2)
  console.log(
    table(
      ['measure', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      Object.entries(summary).map(([name, s]) => [name, s.n, s.p50, s.p95, s.p99, s.max]),
    ),
  )
  const pass = summary['POST /ai'].p95 < TARGET_P95_MS
  console.log(
    `p95 through HTTP ${summary['POST /ai'].p95} ms (target < ${TARGET_P95_MS} ms: ${pass ? 'met' : 'missed'}); ${ratio}× the baseline's p95`,
  )
  const record = {
    benchmark: 'ai-planner',
    revision: revision(),
    machine: machine(),
    command: commandLine(),
    rounds,
    commands: commands.length,
    targetP95Ms: TARGET_P95_MS,
    targetMet: pass,
    p95RatioToBaseline: ratio,
    summary,
  }
  const json = await writeJson(`${flags.out}.json`, record)
  const svg = writeChart(`${flags.out}.svg`, {
    title: 'AI commands: the built-in planner through HTTP',
    subtitle: `${commands.length} phrasings × ${rounds} rounds, ${record.machine.cpus} cores, Node ${process.version}; p95 ${ratio}× the baseline`,
    panels: [
      {
        title: 'latency',
        unit: 'ms',
        series: ['p50', 'p95', 'p99'],
        groups: Object.entries(summary).map(([name, s]) => ({
          label: name.split(' ')[0],
          values: [s.p50, s.p95, s.p99],
        })),
        log: true,
        reference: { label: 'target p95', value: TARGET_P95_MS },
      },
    ],
  })
  console.log(`wrote ${json} and ${svg}`)
} finally {
  closeApiAgent()
  await server.stop()
}

/**
 * `npm run bench:triggers` — the Triggers API under load (issue 24, acceptance 5), on one server
 * process (SQLite in a temp DATA_DIR, or --database-url postgres://…):
 *
 * 1. Ingestion ceiling: POST /api/events from --connections concurrent clients (each with an API
 *    key of its own, at the enterprise tier, so no request meets the rate limit but every one
 *    pays for it), against GET /health of the same server with the same clients: alternating
 *    rounds, the ratio taken round by round (the HTTP ceiling of this machine at that minute).
 *    Targets: ratio ≥ 0.5 and ≥ 5,000 events/s.
 * 2. Latency at half that rate: the median ingestion rate of (1) halved, offered at a fixed
 *    rate (autocannon overallRate); target p99 < 10 ms.
 * 3. Every event that got a 202 is in the store: the owners' pending counts equal the 202s.
 * 4. Webhook delivery: --deliveries events queued for a local receiver that holds its first
 *    answers until all are stored; then it answers 200 at once, and the bench times the queue's
 *    drain (the worker claims from the database, signs, POSTs, records). Target ≥ 1,000/s.
 *    The first delivery's signature is checked with the standardwebhooks package.
 *
 * Run:  npm run bench:triggers
 *       node bench/triggersBench.mjs [--runs 3] [--seconds 5] [--connections 100] [--warmup 1]
 *                                    [--deliveries 20000] [--database-url postgres://…]
 *                                    [--out triggers] [noise flags of lib/noise.mjs]
 * Writes bench/results/<out>.json and <out>.svg. Needs a build (npm run bench:triggers builds).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { Webhook } from 'standardwebhooks'
import { apiRequest, closeApiAgent, inParallel } from './lib/api.mjs'
import { NOISE_FLAGS, measureQuietly, noisePolicy } from './lib/noise.mjs'
import { cpuMeter, LOOPBACK, startServer } from './lib/proc.mjs'
import { commandLine, machine, revision, table, writeChart, writeJson } from './lib/report.mjs'
import { median, round } from './lib/stats.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const MAIN_JS = path.join(ROOT, 'dist', 'server', 'main.js')
const TARGETS = { ratioToHealth: 0.5, eventsPerSec: 5_000, p99MsAtHalf: 10, deliveriesPerSec: 1_000 }
/** The API allows 20 live keys per account. */
const KEYS_PER_USER = 20

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '1' },
    deliveries: { type: 'string', default: '20000' },
    'database-url': { type: 'string' },
    out: { type: 'string', default: 'triggers' },
    ...NOISE_FLAGS,
  },
})
const runs = Math.max(3, Number(flags.runs))
const seconds = Math.max(1, Number(flags.seconds))
const connections = Math.max(1, Number(flags.connections))
const warmup = Math.max(0, Number(flags.warmup))
const deliveryCount = Math.max(100, Number(flags.deliveries))
const noise = noisePolicy(flags)
const EVENT_BODY = JSON.stringify({
  type: 'form.answered',
  payload: { form: 'feedback', answers: { rating: 5, comment: 'Looks good to me' } },
})

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-triggers-'))
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }))
const serverEnv = {
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  ALLOW_PRIVATE_WEBHOOKS: 'true',
  REGISTRATIONS_PER_HOUR: '100000',
  ...(flags['database-url'] ? { DATABASE_URL: flags['database-url'] } : {}),
}

/** The operator's command, as an operator runs it, against the running server's database. */
function setTier(keyId) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, 'keys', 'set-tier', keyId, 'enterprise'], {
      env: { ...process.env, ...serverEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (c) => (stderr += c))
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`keys set-tier exited ${code}: ${stderr}`)),
    )
  })
}

/** `count` enterprise keys over as many accounts as that takes; the accounts' session tokens. */
async function makeKeys(baseUrl, count, label) {
  const users = []
  const keys = []
  for (let u = 0; keys.length < count; u++) {
    const email = `${label}-${u}-${Date.now()}@bench.test`
    const { sessionId } = await apiRequest(baseUrl, 'POST', '/api/register', {
      body: { email, username: `${label}${u}${Date.now()}`, password: 'correct horse battery staple' },
    })
    users.push(sessionId)
    const n = Math.min(KEYS_PER_USER, count - keys.length)
    for (let k = 0; k < n; k++) {
      keys.push(
        await apiRequest(baseUrl, 'POST', '/api/keys/generate', {
          token: sessionId,
          body: { name: `k${k}` },
        }),
      )
    }
  }
  await inParallel(keys, 4, (key) => setTier(key.keyId))
  return { users, keys }
}

/** autocannon options giving each connection a key of its own (round robin over `keys`). */
function ingestOptions(baseUrl, keys, extra) {
  let next = 0
  return {
    url: `${baseUrl}/api/events`,
    connections,
    pipelining: 1,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: EVENT_BODY,
    setupClient: (client) => {
      client.setHeaders({
        'content-type': 'application/json',
        'x-api-key': keys[next++ % keys.length].apiKey,
      })
    },
    ...extra,
  }
}

function summarise(r, server, cpu) {
  return {
    reqPerSec: round(r.requests.average, 0),
    requests: r.requests.total,
    accepted: r['2xx'],
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, mean: round(r.latency.mean) },
    errors: r.errors + r.timeouts + r.non2xx,
    statusCodes: r.statusCodeStats,
    cpuPercent: {
      server: round(cpu.servers[server.pid], 0),
      generator: round(cpu.generator, 0),
      otherProcesses: round(cpu.others, 0),
    },
  }
}

/** 202s of every ingestion run, discarded noisy ones and the warm-up included. */
let accepted = 0

async function measure(server, options) {
  const meter = cpuMeter([server.pid])
  const r = await autocannon(options)
  if (options.method === 'POST') accepted += r['2xx']
  return summarise(r, server, meter.stop())
}

/** A local webhook receiver: holds its answers until released, counts distinct 2xx'd ids. */
function startReceiver() {
  const held = []
  const seen = new Set()
  let released = false
  let first
  let onCount = () => {}
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const answer = () => {
        const id = req.headers['webhook-id']
        if (first === undefined) first = { headers: req.headers, body: Buffer.concat(chunks).toString() }
        seen.add(id)
        res.writeHead(200).end()
        onCount(seen.size)
      }
      if (released) answer()
      else held.push(answer)
    })
  })
  return new Promise((resolve) => {
    server.listen(0, LOOPBACK, () =>
      resolve({
        url: `http://${LOOPBACK}:${server.address().port}/hook`,
        release() {
          released = true
          for (const answer of held.splice(0)) answer()
        },
        /** Resolves when `n` distinct events were answered 200. */
        until(n) {
          return new Promise((done) => {
            onCount = (count) => count >= n && done()
            onCount(seen.size)
          })
        },
        first: () => first,
        close: () => new Promise((done) => server.close(done)),
      }),
    )
  })
}

let server
try {
  server = await startServer({ name: 'collabcanvas', args: [MAIN_JS, 'serve'], env: serverEnv })
  const base = server.baseUrl
  console.error(`setting up ${connections} enterprise keys …`)
  const ingest = await makeKeys(base, connections, 'ingest')
  const health = { url: `${base}/health`, connections, pipelining: 1 }

  if (warmup > 0) {
    await autocannon({ ...health, duration: warmup })
    await measure(server, ingestOptions(base, ingest.keys, { duration: warmup }))
  }

  // 1. Ingestion against /health, alternating.
  const results = []
  for (let run = 1; run <= runs; run++) {
    const order = run % 2 === 1 ? ['ingest', 'health'] : ['health', 'ingest']
    for (const target of order) {
      const options =
        target === 'health'
          ? { ...health, duration: seconds }
          : ingestOptions(base, ingest.keys, { duration: seconds })
      const r = await measureQuietly(
        () => measure(server, options),
        noise,
        (x) => x.cpuPercent.otherProcesses,
        (line) => console.error(`run ${run} ${target}: ${line}`),
      )
      results.push({ target, run, ...r })
      console.error(
        `run ${run} ${target}: ${r.reqPerSec} req/s, p99 ${r.latencyMs.p99} ms, errors ${r.errors}, server CPU ${r.cpuPercent.server}%, others ${r.cpuPercent.otherProcesses}%`,
      )
    }
  }
  const of = (target) => results.filter((r) => r.target === target)
  const perRound = []
  for (let run = 1; run <= runs; run++) {
    const i = results.find((r) => r.target === 'ingest' && r.run === run)
    const h = results.find((r) => r.target === 'health' && r.run === run)
    perRound.push(round(i.reqPerSec / h.reqPerSec, 3))
  }
  const ratio = { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), perRound }
  const ingestRate = median(of('ingest').map((r) => r.reqPerSec))
  const healthRate = median(of('health').map((r) => r.reqPerSec))

  // 2. p99 at half the ingestion rate.
  const halfRate = Math.round(ingestRate / 2)
  const half = await measureQuietly(
    () => measure(server, ingestOptions(base, ingest.keys, { duration: seconds, overallRate: halfRate })),
    noise,
    (x) => x.cpuPercent.otherProcesses,
    (line) => console.error(`half rate: ${line}`),
  )
  console.error(
    `half rate ${halfRate}/s: ${half.reqPerSec} req/s, p99 ${half.latencyMs.p99} ms, errors ${half.errors}`,
  )

  // 3. Every 202 is stored: the owners' pending events are at least the 202s of every phase (warm-up
  // too). At least: a request in flight when a phase ends is stored, but autocannon stops counting.
  let stored = 0
  for (let u = 0; u < ingest.users.length; u++) {
    const key = ingest.keys[u * KEYS_PER_USER]
    const stats = await apiRequest(base, 'GET', '/api/queue/stats', { token: key.apiKey })
    stored += stats.pending
  }
  console.error(`202s: ${accepted}; events stored: ${stored}`)

  // 4. Webhook delivery from the durable queue.
  const receiver = await startReceiver()
  const deliver = await makeKeys(base, KEYS_PER_USER, 'deliver')
  const [ownerKey] = deliver.keys
  const endpoint = await apiRequest(base, 'POST', '/api/webhooks', {
    token: ownerKey.apiKey,
    body: { url: receiver.url },
  })
  const queued = await autocannon(
    ingestOptions(base, deliver.keys, { amount: deliveryCount, connections: Math.min(connections, 20) }),
  )
  if (queued['2xx'] !== deliveryCount) throw new Error(`queued ${queued['2xx']} of ${deliveryCount} events`)
  const meter = cpuMeter([server.pid])
  const t0 = process.hrtime.bigint()
  receiver.release()
  await receiver.until(deliveryCount)
  const deliverySeconds = Number(process.hrtime.bigint() - t0) / 1e9
  const deliveryCpu = meter.stop()
  const deliveriesPerSec = round(deliveryCount / deliverySeconds, 0)
  const sample = receiver.first()
  new Webhook(endpoint.webhook.secret).verify(sample.body, sample.headers)
  await receiver.close()
  console.error(`webhooks: ${deliveryCount} delivered in ${round(deliverySeconds)} s = ${deliveriesPerSec}/s`)

  const summary = {
    ingest: {
      eventsPerSec: ingestRate,
      p50Ms: median(of('ingest').map((r) => r.latencyMs.p50)),
      p99Ms: median(of('ingest').map((r) => r.latencyMs.p99)),
      serverCpuPercent: median(of('ingest').map((r) => r.cpuPercent.server)),
      errors: of('ingest').reduce((n, r) => n + r.errors, 0),
    },
    health: {
      reqPerSec: healthRate,
      p50Ms: median(of('health').map((r) => r.latencyMs.p50)),
      p99Ms: median(of('health').map((r) => r.latencyMs.p99)),
      serverCpuPercent: median(of('health').map((r) => r.cpuPercent.server)),
      errors: of('health').reduce((n, r) => n + r.errors, 0),
    },
    halfRate: { offeredPerSec: halfRate, ...half },
    durability: { accepted, stored },
    webhooks: {
      deliveries: deliveryCount,
      seconds: round(deliverySeconds),
      deliveriesPerSec,
      serverCpuPercent: round(deliveryCpu.servers[server.pid], 0),
      signatureVerified: true,
    },
  }
  const met = {
    ratioToHealth: ratio.median >= TARGETS.ratioToHealth,
    eventsPerSec: ingestRate >= TARGETS.eventsPerSec,
    p99MsAtHalf: half.latencyMs.p99 < TARGETS.p99MsAtHalf,
    deliveriesPerSec: deliveriesPerSec >= TARGETS.deliveriesPerSec,
    everyAcceptedEventStored: stored >= accepted,
  }
  const yes = (ok) => (ok ? 'met' : 'NOT met')
  const storage = flags['database-url'] ? 'PostgreSQL' : 'SQLite'
  console.log(
    `\nTriggers API on ${storage}, ${runs} alternating rounds of ${seconds} s, ${connections} connections (medians)\n`,
  )
  console.log(
    table(
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'server CPU %', 'errors'],
      [
        [
          'POST /api/events',
          ingestRate,
          summary.ingest.p50Ms,
          summary.ingest.p99Ms,
          summary.ingest.serverCpuPercent,
          summary.ingest.errors,
        ],
        [
          'GET /health',
          healthRate,
          summary.health.p50Ms,
          summary.health.p99Ms,
          summary.health.serverCpuPercent,
          summary.health.errors,
        ],
        [
          `POST /api/events at ${halfRate}/s`,
          half.reqPerSec,
          half.latencyMs.p50,
          half.latencyMs.p99,
          half.cpuPercent.server,
          half.errors,
        ],
      ],
    ),
  )
  console.log(`
ingestion ÷ /health: ${ratio.median} (${ratio.min}–${ratio.max}) (target ≥ ${TARGETS.ratioToHealth}: ${yes(met.ratioToHealth)})
events/s: ${ingestRate} (target ≥ ${TARGETS.eventsPerSec}: ${yes(met.eventsPerSec)})
p99 at ${halfRate}/s: ${half.latencyMs.p99} ms (target < ${TARGETS.p99MsAtHalf}: ${yes(met.p99MsAtHalf)})
every 202 stored: ${stored} stored ≥ ${accepted} accepted (${yes(met.everyAcceptedEventStored)})
webhook deliveries/s: ${deliveriesPerSec} (target ≥ ${TARGETS.deliveriesPerSec}: ${yes(met.deliveriesPerSec)})`)

  const record = {
    bench: 'triggers',
    date: new Date().toISOString(),
    command: commandLine(),
    machine: machine(),
    revision: revision(),
    params: { runs, seconds, connections, warmupSeconds: warmup, deliveries: deliveryCount, storage, noise },
    summary,
    ratioToHealth: ratio,
    targets: TARGETS,
    met,
    runs: results,
  }
  const json = await writeJson(`${flags.out}.json`, record)
  const svg = writeChart(`${flags.out}.svg`, {
    title: `Triggers API: durable ingestion vs GET /health, webhook delivery (${storage})`,
    subtitle: `median of ${runs} alternating rounds, ${seconds} s, ${connections} connections, ${record.machine.cpus} cores, Node ${process.version}; ratio ${ratio.median}`,
    panels: [
      {
        title: 'throughput',
        unit: 'req/s',
        series: ['req/s'],
        groups: [
          { label: 'POST /api/events', values: [ingestRate] },
          { label: 'GET /health', values: [healthRate] },
          { label: 'webhooks', values: [deliveriesPerSec] },
        ],
      },
      {
        title: 'latency',
        unit: 'ms',
        series: ['p50', 'p99'],
        groups: [
          { label: 'events (max)', values: [summary.ingest.p50Ms, summary.ingest.p99Ms] },
          { label: 'events (half)', values: [half.latencyMs.p50, half.latencyMs.p99] },
          { label: '/health', values: [summary.health.p50Ms, summary.health.p99Ms] },
        ],
      },
    ],
  })
  console.log(`\nwrote ${path.relative(process.cwd(), json)} and ${path.relative(process.cwd(), svg)}`)
} finally {
  closeApiAgent()
  await server?.stop()
}

/**
 * `node bench/httpCosts.mjs` — what the per-request parts of CollabCanvas's GET /health cost on
 * their own, in a loop in one process: the pieces a bare node:http server does not do. Where
 * bench:http says how far the whole request is from the bare server, this says which part of
 * the gap each piece is (docs/performance.md). CPU time per call over --calls calls, median of
 * --rounds rounds, the pieces interleaved so a busy moment of the machine hits them alike.
 *
 * Run:  npm run bench:http-costs, or node bench/httpCosts.mjs [--calls 200000] [--rounds 5] after a build
 * Writes bench/results/http-costs.json.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import pino from 'pino'
import { Histogram, Registry } from 'prom-client'
import { lazyChildLoggerFactory } from '../dist/server/lazyRequestLogger.js'
import { createMetrics } from '../dist/server/metrics.js'
import { API_HEADERS } from '../dist/server/plugins/security.js'
import { commandLine, machine, revision, table, writeJson } from './lib/report.mjs'
import { median, round } from './lib/stats.mjs'

const { values: flags } = parseArgs({
  options: { calls: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } },
})
const calls = Math.max(1000, Number(flags.calls))
const rounds = Math.max(1, Number(flags.rounds))

const logger = pino({ level: 'warn' }, new Writable({ write: (_chunk, _encoding, done) => done() }))
const histogram = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'as in src/server/metrics.ts',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [new Registry()],
})
const series = histogram.labels('GET', '/health', '200')
const observeHealth = createMetrics().httpRoute('/health')
const dir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-costs-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
const db = new Database(path.join(dir, 'costs.db'))
db.pragma('journal_mode = WAL')
const selectOne = db.prepare('SELECT 1').pluck()
const headers = { ...API_HEADERS, 'x-request-id': randomUUID() }

// Each piece as the request path does it; the logger pieces include Fastify's two info lines
// (incoming request, request completed), which are below LOG_LEVEL=warn.
const PIECES = {
  'request id (randomUUID)': () => randomUUID(),
  'request logger, pino child per request': () => {
    const log = logger.child({ reqId: 'a3bb189e-8bf9-3888-9912-ace4e6543002' })
    log.info({}, 'incoming request')
    log.info({}, 'request completed')
  },
  'request logger, lazy (what we use)': () => {
    const log = lazyChildLoggerFactory(logger, { reqId: 'a3bb189e-8bf9-3888-9912-ace4e6543002' }, {})
    log.info({}, 'incoming request')
    log.info({}, 'request completed')
  },
  'duration histogram observe (prom-client Histogram)': () => series.observe(0.0004),
  'duration histogram observe (SeriesHistogram, what we use)': () => observeHealth('GET', 200, 0.0004),
  'security headers + request id, validated as writeHead does': () => {
    for (const name in headers) {
      http.validateHeaderName(name)
      http.validateHeaderValue(name, headers[name])
    }
  },
  'database check (SELECT 1)': () => selectOne.get(),
  'health body (JSON.stringify), bare does it too': () =>
    JSON.stringify({
      status: 'ok',
      service: 'collabcanvas',
      timestamp: Math.floor(Date.now() / 1000),
      checks: { database: 'ok', bus: 'ok' },
    }),
}

const samples = Object.fromEntries(Object.keys(PIECES).map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  for (const [name, piece] of Object.entries(PIECES)) {
    const before = process.cpuUsage()
    for (let i = 0; i < calls; i++) piece()
    const used = process.cpuUsage(before)
    samples[name].push(((used.user + used.system) * 1000) / calls)
  }
}
const results = Object.fromEntries(Object.entries(samples).map(([name, ns]) => [name, round(median(ns), 0)]))

console.log(`\nper-request pieces of GET /health, CPU ns per call (median of ${rounds} × ${calls} calls)\n`)
console.log(
  table(
    ['piece', 'ns/call'],
    Object.entries(results).map(([name, ns]) => [name, ns]),
  ),
)
await writeJson('http-costs.json', {
  bench: 'http-costs',
  command: commandLine(),
  date: new Date().toISOString(),
  machine: machine(),
  revision: revision(),
  options: { calls, rounds },
  nsPerCall: results,
})
console.log('wrote bench/results/http-costs.json')

/**
 * Peer for `npm run bench:http`: Fastify 5 with its defaults and no plugins, answering GET /health
 * with the bare peer's JSON. Measures what the framework alone costs over bare node:http.
 *
 * With RESPONSE_HEADERS=collabcanvas it also sends CollabCanvas's response headers, as the bare
 * peer does: the API security headers [A5] and a UUID request id, set in the handler (the
 * cheapest place), and serializes with CollabCanvas's own /health response schema (a compiled
 * serializer measured 5–7 % faster than JSON.stringify here). Both come from the build, so the
 * peer cannot drift from what CollabCanvas sends. That is the least any Fastify server meeting the
 * contract does per request: no logging, metrics, checks or database.
 *
 * Run: PORT=8080 HOST=127.0.0.1 [RESPONSE_HEADERS=collabcanvas] node bench/peers/bareFastifyHealth.mjs
 *      (started by bench/httpHealth.mjs; RESPONSE_HEADERS=collabcanvas needs a build)
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'

const sameHeaders = process.env.RESPONSE_HEADERS === 'collabcanvas'
const API_HEADERS = sameHeaders ? (await import('../../dist/server/plugins/security.js')).API_HEADERS : {}
const HEALTH_SCHEMA = sameHeaders
  ? { response: { 200: (await import('../../dist/server/routes/healthRoutes.js')).HealthBody } }
  : undefined

const app = Fastify({ logger: false, ...(sameHeaders ? { genReqId: () => randomUUID() } : {}) })
app.get('/health', { schema: HEALTH_SCHEMA }, async (request, reply) => {
  if (sameHeaders) void reply.headers(API_HEADERS).header('x-request-id', request.id)
  return {
    status: 'ok',
    service: sameHeaders ? 'collabcanvas' : 'bare-fastify',
    timestamp: Math.floor(Date.now() / 1000),
    checks: { database: 'ok', bus: 'ok' },
  }
})

await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' })
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})

/**
 * Peer for `npm run bench:http`: Fastify 5 with its defaults and no plugins, answering GET /health
 * with CollabCanvas's response: the API security headers [A5] and a UUID request id, set in the
 * handler (the cheapest place), and the body serialized with CollabCanvas's own /health response
 * schema (so Fastify compiles a serializer, as it does for CollabCanvas). Both come from the
 * build, so the peer cannot drift from what CollabCanvas sends. That is the least any Fastify
 * server meeting the contract does per request: no logging, metrics, checks or database.
 *
 * Run: PORT=8080 HOST=127.0.0.1 node bench/peers/bareFastifyHealth.mjs
 *      (started by bench/httpHealth.mjs; needs a build)
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { API_HEADERS } from '../../dist/server/plugins/security.js'
import { HealthBody } from '../../dist/server/routes/healthRoutes.js'

const app = Fastify({ logger: false, genReqId: () => randomUUID() })
app.get('/health', { schema: { response: { 200: HealthBody } } }, async (request, reply) => {
  void reply.headers(API_HEADERS).header('x-request-id', request.id)
  return {
    status: 'ok',
    service: 'collabcanvas',
    timestamp: Math.floor(Date.now() / 1000),
    checks: { database: 'ok', bus: 'ok' },
  }
})

await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' })
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})

/**
 * Peer for `npm run bench:http`: Fastify 5 with its defaults and no plugins, answering GET /health
 * with the bare peer's JSON. Measures what the framework alone costs over bare node:http.
 *
 * Run: PORT=8080 HOST=127.0.0.1 node bench/peers/bareFastifyHealth.mjs   (started by bench/httpHealth.mjs)
 */
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/health', async () => ({
  status: 'ok',
  service: 'bare-fastify',
  timestamp: Math.floor(Date.now() / 1000),
  checks: { database: 'ok', bus: 'ok' },
}))

await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' })
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0))
})

import { timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { unauthorized } from '../../protocol/appError.js'
import type { Deps } from '../deps.js'

/** Constant-time comparison of the presented Bearer token with METRICS_TOKEN. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
  if (presented === undefined) return false
  const a = Buffer.from(presented)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * GET /metrics in Prometheus text. Open when METRICS_TOKEN is unset (the contract's default,
 * for a scraper on a private network); otherwise `Authorization: Bearer <METRICS_TOKEN>`.
 */
export const metricsRoute =
  (deps: Deps): FastifyPluginAsync =>
  async (app) => {
    const { metricsToken } = deps.config
    app.get('/metrics', async (request, reply) => {
      if (metricsToken !== undefined && !bearerMatches(request.headers.authorization, metricsToken)) {
        void reply.header('www-authenticate', 'Bearer realm="metrics"')
        throw unauthorized('metrics need Authorization: Bearer <METRICS_TOKEN>')
      }
      const { registry } = deps.metrics
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  }

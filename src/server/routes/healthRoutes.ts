import type { FastifyPluginAsync } from 'fastify'
import type { Deps } from '../deps.js'

type CheckResult = 'ok' | 'unavailable'

export const healthRoutes =
  (deps: Deps): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', async (_request, reply) => {
      const database: CheckResult = await deps.store.ping().then(
        () => 'ok',
        () => 'unavailable',
      )
      const checks = { database, bus: 'ok' as CheckResult }
      const healthy = Object.values(checks).every((c) => c === 'ok')
      return reply.code(healthy ? 200 : 503).send({
        status: healthy ? 'ok' : 'degraded',
        service: 'collabcanvas',
        timestamp: Math.floor(deps.now() / 1000),
        checks,
      })
    })

    app.get('/metrics', async (_request, reply) => {
      const { registry } = deps.metrics
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  }

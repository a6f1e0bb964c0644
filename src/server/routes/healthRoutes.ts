import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { Deps } from '../deps.js'

const Check = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')])
type CheckResult = Static<typeof Check>
const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  service: Type.Literal('collabcanvas'),
  timestamp: Type.Integer(),
  checks: Type.Object({ database: Check, bus: Check }),
})

function healthReport(database: CheckResult, nowMs: number): Static<typeof HealthBody> {
  const checks = { database, bus: 'ok' } as const
  return {
    status: Object.values(checks).every((c) => c === 'ok') ? 'ok' : 'degraded',
    service: 'collabcanvas',
    timestamp: Math.floor(nowMs / 1000),
    checks,
  }
}

export const healthRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    // The response schema documents the body and lets Fastify compile its serializer, which
    // writes this fixed shape faster than JSON.stringify: /health is what load balancers poll.
    app.get('/health', { schema: { response: { 200: HealthBody, 503: HealthBody } } }, (_request, reply) =>
      deps.store.ping().then(
        () => healthReport('ok', deps.now()),
        () => {
          void reply.code(503)
          return healthReport('unavailable', deps.now())
        },
      ),
    )

    app.get('/metrics', async (_request, reply) => {
      const { registry } = deps.metrics
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  }

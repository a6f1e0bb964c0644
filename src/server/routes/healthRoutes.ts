import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { Deps } from '../deps.js'

const Check = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')])
type CheckResult = Static<typeof Check>
/** The body of GET /health, 200 and 503 alike (also the bench's Fastify peer's schema). */
export const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  service: Type.Literal('collabcanvas'),
  timestamp: Type.Integer(),
  checks: Type.Object({ database: Check, bus: Check }),
})

type HealthReport = Static<typeof HealthBody>

// The bus joins these checks when there is one (the scale-out issue); today it is always ok.
function healthReport(database: CheckResult, nowMs: number): HealthReport {
  return {
    status: database === 'ok' ? 'ok' : 'degraded',
    service: 'collabcanvas',
    timestamp: Math.floor(nowMs / 1000),
    checks: { database, bus: 'ok' },
  }
}

export const healthRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    // /health is what load balancers poll, so it does no more than it must: its database check
    // reads a scalar (a row object per call cost ~10 % of the request). The response schema documents the body and lets
    // Fastify compile its serializer, faster than JSON.stringify. The handler returns the
    // check's promise, so Fastify answers any error in it.
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

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { Deps } from '../deps.js'

const Check = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')])
type CheckResult = Static<typeof Check>
/** The bus also says how far behind it is (queue backlog, docs/scaling.md "Health"). */
const BusCheck = Type.Union([
  Type.Literal('ok'),
  Type.Literal('warning'),
  Type.Literal('critical'),
  Type.Literal('unavailable'),
])
type BusCheckResult = Static<typeof BusCheck>
/** The body of GET /health, 200 and 503 alike (also the bench's Fastify peer's schema). */
export const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  service: Type.Literal('collabcanvas'),
  timestamp: Type.Integer(),
  checks: Type.Object({ database: Check, bus: BusCheck }),
})

type HealthReport = Static<typeof HealthBody>

function healthReport(database: CheckResult, bus: BusCheckResult, nowMs: number): HealthReport {
  return {
    status: database === 'ok' && bus === 'ok' ? 'ok' : 'degraded',
    service: 'collabcanvas',
    timestamp: Math.floor(nowMs / 1000),
    checks: { database, bus },
  }
}

/**
 * 503 takes the instance out of a load balancer: when the database is gone, when the bus cannot
 * reach the other instances (its clients would see a partial canvas), or when the queue is
 * critically behind. A warning stays 200: the instance still serves, slowly.
 */
const unhealthy = (report: HealthReport) =>
  report.checks.database !== 'ok' || report.checks.bus === 'unavailable' || report.checks.bus === 'critical'

export const healthRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    // /health is what load balancers poll, so it does no more than it must: its database check
    // reads a scalar (a row object per call cost ~10 % of the request). The response schema documents the body and lets
    // Fastify compile its serializer, faster than JSON.stringify. The handler returns the
    // check's promise, so Fastify answers any error in it.
    app.get('/health', { schema: { response: { 200: HealthBody, 503: HealthBody } } }, (_request, reply) =>
      deps.store.ping().then(
        () => {
          const report = healthReport('ok', deps.bus.health(), deps.now())
          if (unhealthy(report)) void reply.code(503)
          return report
        },
        () => {
          void reply.code(503)
          return healthReport('unavailable', deps.bus.health(), deps.now())
        },
      ),
    )
  }

import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { AdminStatsBody } from '../../protocol/adminStats.js'
import { notFound } from '../../protocol/appError.js'
import type { Deps } from '../deps.js'
import { aggregateSamples } from '../ops/aggregateSamples.js'
import { LIVE_STATS_INTERVAL_MS } from '../ops/opsMonitor.js'
import { authenticate } from '../plugins/authentication.js'

/** An instance whose sample is older than this has stopped (or cannot reach the database). */
const FRESH_MS = 5 * LIVE_STATS_INTERVAL_MS

/**
 * The operators' live metrics: the /admin page and the one endpoint it polls. Operators are the
 * accounts listed in ADMIN_EMAILS; to everyone else, signed in or not, both are 404, as if they
 * did not exist (the policy's `operator` kind).
 */
export const adminRoutes =
  (deps: Deps): FastifyPluginAsync =>
  async (app) => {
    const operators = new Set(deps.config.adminEmails)
    const requireOperator = async (request: FastifyRequest): Promise<void> => {
      const auth = operators.size === 0 ? undefined : await authenticate(request, deps.accounts)
      if (auth === undefined || !operators.has(auth.user.email.toLowerCase())) throw notFound('page')
    }

    app.get('/admin', async (request, reply) => {
      await requireOperator(request)
      // The web app's page (its router shows the admin view); 404 when the app is not built.
      if (typeof reply.sendFile !== 'function') throw notFound('page')
      return reply.header('cache-control', 'no-store').sendFile('index.html', { maxAge: 0 })
    })

    app.get('/api/admin/stats', async (request, reply): Promise<AdminStatsBody> => {
      await requireOperator(request)
      const at = deps.now()
      const instances = (await deps.instanceStats.listSince(at - FRESH_MS)).sort((a, b) =>
        a.instanceId.localeCompare(b.instanceId),
      )
      const queue = await deps.triggers.stats(undefined)
      void reply.header('cache-control', 'no-store')
      return {
        at,
        instances,
        total: aggregateSamples(instances),
        queue: {
          pendingEvents: queue.pending,
          oldestPendingAgeSec:
            queue.oldestPendingAt === undefined ? null : Math.max(0, (at - queue.oldestPendingAt) / 1000),
          webhookPending: queue.deliveries.pending,
          webhookFailing: queue.deliveries.failed,
          webhookDead: queue.deliveries.dead,
        },
      }
    })
  }

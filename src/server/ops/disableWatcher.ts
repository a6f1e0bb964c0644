import type { FastifyInstance } from 'fastify'
import { CLOSE_CODES } from '../../protocol/closeCodes.js'
import type { Deps } from '../deps.js'
import type { RealtimeGateway } from '../realtime/realtimeGateway.js'

/** How often each instance looks for newly disabled accounts: `users disable` acts within this. */
export const DISABLE_POLL_MS = 250

/**
 * Ends the sockets, on this instance, of every account disabled after it started watching
 * (`collabcanvas users disable`, from any process sharing the database). Their sessions are
 * already deleted, so HTTP calls fail too and reconnects are refused.
 */
export function startDisableWatcher(app: FastifyInstance, deps: Deps, realtime: RealtimeGateway): void {
  let watermark: number | undefined
  let busy = false
  const poll = async () => {
    watermark ??= await deps.userDisables.head()
    for (const { id, userId } of await deps.userDisables.since(watermark)) {
      watermark = id
      const sockets = realtime.connectionsOf(userId)
      for (const connection of sockets) {
        connection.sendError('unauthorized', 'account disabled')
        connection.close(CLOSE_CODES.unauthorized, 'account disabled')
      }
      deps.logger.info({ userId, sockets: sockets.length }, 'disabled account disconnected')
    }
  }
  const tick = () => {
    if (busy) return
    busy = true
    poll()
      .catch((err: unknown) => deps.logger.warn({ err }, 'checking for disabled accounts failed'))
      .finally(() => {
        busy = false
      })
  }
  const timer = setInterval(tick, DISABLE_POLL_MS)
  timer.unref()
  // The watermark is taken at start, not at the first tick: a disable right after start counts.
  tick()
  app.addHook('onClose', (_instance, done) => {
    clearInterval(timer)
    done()
  })
}

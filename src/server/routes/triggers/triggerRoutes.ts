import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RoomRegistry } from '../../../rooms/roomRegistry.js'
import type { Deps } from '../../deps.js'
import { registerTriggerMetrics } from '../../../triggers/triggerMetrics.js'
import { canvasActionRoutes } from './canvasActionRoutes.js'
import { eventRoutes } from './eventRoutes.js'
import { keyRoutes } from './keyRoutes.js'
import { webhookRoutes } from './webhookRoutes.js'

/** The Triggers API (docs/triggers.md): its routes, its metrics, and its background work's lifetime. */
export const triggerRoutes =
  (deps: Deps, rooms: RoomRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { triggers } = deps
    registerTriggerMetrics(deps.metrics.registry, triggers, deps.now)
    await app.register(keyRoutes(deps, triggers))
    await app.register(eventRoutes(deps, triggers))
    await app.register(webhookRoutes(deps, triggers))
    await app.register(canvasActionRoutes(deps, triggers, rooms))
    app.addHook('onReady', async () => triggers.start())
    app.addHook('onClose', async () => triggers.close())
  }

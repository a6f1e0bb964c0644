import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { can } from '../../../core/permissions.js'
import { opFromMessage } from '../../../core/room/opFromMessage.js'
import { AppError, forbidden, notFound } from '../../../protocol/appError.js'
import { isClientOpMessage, parseClientMessage } from '../../../protocol/messages.js'
import type { RoomRegistry } from '../../../rooms/roomRegistry.js'
import type { Deps } from '../../deps.js'
import type { Triggers } from '../../../triggers/triggers.js'
import { requireApiKey } from './apiKeyAuth.js'

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })
const OpId = Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }))
// The object and changes are checked by the WebSocket parser itself (below), not a second schema.
const AnyObject = Type.Object({}, { additionalProperties: true })

/**
 * Canvas actions for automation platforms: create, update and delete objects with an API key
 * whose owner may edit the canvas. Each body becomes the WebSocket frame it stands for and goes
 * through the same parser [PROTO1] and the room's one way in [ROOM24], so open editors see it at
 * once and it is logged, acked and evented like any edit. `opId` makes a retried call idempotent.
 */
export const canvasActionRoutes =
  (deps: Deps, triggers: Triggers, rooms: RoomRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { now, store } = deps

    async function submit(
      request: Parameters<typeof requireApiKey>[0],
      reply: Parameters<typeof requireApiKey>[1],
      canvasId: string,
      frame: Record<string, unknown>,
    ): Promise<{ opId: string; seq: number }> {
      const key = await requireApiKey(request, reply, triggers, now())
      const canvas = await store.getCanvasForUser(canvasId, key.userId)
      if (!canvas) throw notFound('canvas')
      if (!can(canvas.role, 'edit-objects'))
        throw forbidden(`a ${canvas.role} cannot edit objects on this canvas`)
      const parsed = parseClientMessage(JSON.stringify(frame))
      if (!parsed.ok) {
        throw new AppError('invalid_input', parsed.message, {
          field: `body${parsed.field ? `.${parsed.field}` : ''}`,
        })
      }
      if (!isClientOpMessage(parsed.message)) throw new AppError('internal', 'not an operation')
      const room = await rooms.acquire(canvas.id)
      const [result] = await room.submit({ userId: key.userId, role: canvas.role }, [
        opFromMessage(parsed.message),
      ])
      if (result === undefined) throw new AppError('internal', 'no outcome')
      if (!result.ok) {
        // The object's id is in the path here: only a body field is worth naming.
        const field =
          result.code === 'invalid_input' && result.field !== undefined ? `body.${result.field}` : undefined
        throw new AppError(result.code, result.message, field === undefined ? {} : { field })
      }
      triggers.consumer?.wake()
      return { opId: result.opId, seq: result.seq }
    }

    app.post(
      '/api/canvases/:id/objects',
      {
        schema: {
          params: Type.Object({ id: Id }),
          body: Type.Object({ object: AnyObject, opId: OpId }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        // The server names the object when the caller did not (the parser checks a given id).
        const object =
          'id' in request.body.object ? request.body.object : { id: randomUUID(), ...request.body.object }
        const { opId, seq } = await submit(request, reply, request.params.id, {
          type: 'object-create',
          opId: request.body.opId ?? randomUUID(),
          object,
        })
        return reply.code(201).send({ id: object.id, opId, seq })
      },
    )

    app.patch(
      '/api/canvases/:id/objects/:objectId',
      {
        schema: {
          params: Type.Object({ id: Id, objectId: Id }),
          body: Type.Object({ changes: AnyObject, opId: OpId }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const { opId, seq } = await submit(request, reply, request.params.id, {
          type: 'object-update',
          opId: request.body.opId ?? randomUUID(),
          id: request.params.objectId,
          changes: request.body.changes,
        })
        return { id: request.params.objectId, opId, seq }
      },
    )

    app.delete(
      '/api/canvases/:id/objects/:objectId',
      { schema: { params: Type.Object({ id: Id, objectId: Id }) } },
      async (request, reply) => {
        const { opId, seq } = await submit(request, reply, request.params.id, {
          type: 'object-delete',
          opId: randomUUID(),
          id: request.params.objectId,
        })
        return { id: request.params.objectId, opId, seq }
      },
    )
  }

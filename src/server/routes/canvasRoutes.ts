import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../../protocol/appError.js'
import type { CanvasForUser } from '../../store/canvasStore.js'
import type { Deps } from '../deps.js'
import { VisibleText } from './textSchemas.js'
import type { RoomRegistry } from '../../rooms/roomRegistry.js'
import { requireAuth } from '../plugins/authentication.js'
import { canvasAccess } from './canvasAccess.js'
import { listCanvasesByEdit } from './canvasListing.js'

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })
export const CanvasParams = Type.Object({ id: Id })
const CanvasName = VisibleText(200)
const NameBody = Type.Object({ name: CanvasName }, { additionalProperties: false })

export const canvasRoutes =
  (deps: Deps, rooms: RoomRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, store, bus, triggers } = deps

    const canvasFor = canvasAccess(accounts, store)

    app.post('/api/canvases', { schema: { body: NameBody } }, async (request, reply) => {
      const { user } = await requireAuth(request, accounts)
      const canvas = await store.createCanvas({ name: request.body.name.trim(), ownerId: user.id })
      await triggers.canvasChanged(canvas.ownerId, 'canvas.created', {
        canvasId: canvas.id,
        name: canvas.name,
      })
      return reply.code(201).send({ canvas })
    })

    app.get('/api/canvases', async (request) => {
      const { user } = await requireAuth(request, accounts)
      return { canvases: await listCanvasesByEdit(store, deps.opLog, user.id) }
    })

    app.get('/api/canvases/:id', { schema: { params: CanvasParams } }, async (request) => {
      const { canvas } = await canvasFor(request, request.params.id)
      return { canvas }
    })

    app.patch('/api/canvases/:id', { schema: { params: CanvasParams, body: NameBody } }, async (request) => {
      const { canvas } = await canvasFor(request, request.params.id)
      const renamed = await store.renameCanvas(canvas.id, request.body.name.trim())
      if (!renamed) throw notFound('canvas')
      // Every open editor shows the new name, on every instance.
      bus.publishNotice(canvas.id, {
        kind: 'renamed',
        canvas: { id: renamed.id, name: renamed.name, updatedAt: renamed.updatedAt },
      })
      await triggers.canvasChanged(canvas.ownerId, 'canvas.renamed', {
        canvasId: canvas.id,
        name: renamed.name,
      })
      const result: CanvasForUser = { ...renamed, role: canvas.role }
      return { canvas: result }
    })

    app.delete('/api/canvases/:id', { schema: { params: CanvasParams } }, async (request, reply) => {
      const { canvas } = await canvasFor(request, request.params.id)
      await store.deleteCanvas(canvas.id)
      // Open sockets close with 4410 and the room goes: its next edit would have nowhere to go.
      bus.publishNotice(canvas.id, { kind: 'deleted' })
      await triggers.canvasChanged(canvas.ownerId, 'canvas.deleted', { canvasId: canvas.id })
      return reply.code(204).send()
    })

    app.get('/api/canvases/:id/state', { schema: { params: CanvasParams } }, async (request, reply) => {
      const { canvas } = await canvasFor(request, request.params.id)
      const room = await rooms.acquire(canvas.id)
      // Encoded in slices: a canvas at its byte budget must not stall everyone else [ROOM27].
      return reply.type('application/json; charset=utf-8').send(await room.encodedState())
    })

    app.get('/api/canvases/:id/members', { schema: { params: CanvasParams } }, async (request) => {
      const { canvas } = await canvasFor(request, request.params.id)
      return { members: await store.listMembers(canvas.id) }
    })

    app.delete(
      '/api/canvases/:id/members/:userId',
      { schema: { params: Type.Object({ id: Id, userId: Id }) } },
      async (request, reply) => {
        const { userId } = request.params
        // The owner manages members; anyone may leave a canvas shared with them (orSelf).
        const { canvas } = await canvasFor(request, request.params.id, userId)
        if (userId === canvas.ownerId) throw new AppError('conflict', 'the owner cannot be removed')
        if (!(await store.removeMember(canvas.id, userId))) throw notFound('member')
        bus.publishNotice(canvas.id, { kind: 'access', userId, role: null })
        await triggers.canvasChanged(canvas.ownerId, 'canvas.shared', {
          canvasId: canvas.id,
          userId,
          role: null,
        })
        return reply.code(204).send()
      },
    )
  }

import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { copyCreates } from '../../core/canvasCopy.js'
import type { OpRequest } from '../../core/room/logEntry.js'
import { opFromMessage } from '../../core/room/opFromMessage.js'
import { AppError } from '../../protocol/appError.js'
import { isClientOpMessage, parseClientMessage } from '../../protocol/messages.js'
import type { NewObject } from '../../protocol/objects.js'
import type { RoomRegistry } from '../../rooms/roomRegistry.js'
import type { Deps } from '../deps.js'
import { ThumbnailCache } from '../thumbnails/thumbnailCache.js'
import { canvasAccess } from './canvasAccess.js'
import type { CanvasListing } from './canvasListing.js'
import { CanvasParams } from './canvasRoutes.js'
import { VisibleText } from './textSchemas.js'

const NAME_MAX = 200
const COPY_SUFFIX = ' (copy)'

/** `{}` or `{name}` (no body is `{}`): the copy's name defaults to the original's with " (copy)". */
const DuplicateBody = Type.Object(
  { name: Type.Optional(VisibleText(NAME_MAX)) },
  { additionalProperties: false },
)
/** `v` is the seq the list saw: it only makes the URL change with the canvas (browser cache). */
const ThumbnailQuery = Type.Object(
  { v: Type.Optional(Type.String({ maxLength: 20, pattern: '^[0-9]+$' })) },
  { additionalProperties: false },
)

/** "Name (copy)", within the name limit: the original's name is shortened, never the suffix. */
export function copyName(name: string): string {
  const room = NAME_MAX - COPY_SUFFIX.length
  const chars = [...name]
  return `${chars.length > room ? chars.slice(0, room).join('').trimEnd() : name}${COPY_SUFFIX}`
}

/**
 * The canvas list's thumbnails [LIST1] and duplicating a canvas [LIST2]
 * (docs/protocol.md "Canvases").
 */
export const canvasListRoutes =
  (deps: Deps, rooms: RoomRegistry): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, store, opLog, triggers } = deps
    const canvasFor = canvasAccess(accounts, store)
    const thumbnails = new ThumbnailCache(opLog, rooms)

    app.get(
      '/api/canvases/:id/thumbnail',
      { schema: { params: CanvasParams, querystring: ThumbnailQuery } },
      async (request, reply) => {
        const { canvas } = await canvasFor(request, request.params.id)
        const { seq, svg } = await thumbnails.get(canvas.id)
        const etag = `"${seq}"`
        // The list asks with ?v=<seq>: that URL's picture never changes, so the browser keeps it;
        // private, as only members may see it. The SVG is drawn from escaped data and runs nothing.
        reply.headers({
          'cache-control': request.query.v === undefined ? 'private, no-cache' : 'private, max-age=86400',
          etag,
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
          'x-content-type-options': 'nosniff',
        })
        if (request.headers['if-none-match'] === etag) return reply.code(304).send()
        return reply.type('image/svg+xml; charset=utf-8').send(svg)
      },
    )

    app.post(
      '/api/canvases/:id/duplicate',
      {
        schema: { params: CanvasParams, body: DuplicateBody },
        // A POST without a body asks for the defaults, as `{}` does.
        preValidation: (request, _reply, done) => {
          request.body ??= {}
          done()
        },
      },
      async (request, reply) => {
        const { user, canvas } = await canvasFor(request, request.params.id)
        const name = request.body.name?.trim() ?? copyName(canvas.name)
        const source = await rooms.acquire(canvas.id)
        const creates = copyCreates([...source.objects.values()])
        const requests = creates.map(requestOf)
        const copy = await store.createCanvas({ name, ownerId: user.id })
        let seq = 0
        try {
          if (requests.length > 0) {
            const room = await rooms.acquire(copy.id)
            // One all-or-nothing batch: a half-copied canvas is no copy [ROOM24].
            const results = await room.submit({ userId: user.id, role: 'owner' }, requests, undefined, {
              allOrNothing: true,
            })
            const refused = results.find((r) => !r.ok)
            if (refused !== undefined && !refused.ok) throw new AppError(refused.code, refused.message)
            seq = results.reduce((max, r) => (r.ok ? Math.max(max, r.seq) : max), 0)
          }
        } catch (err) {
          // Nothing half-made is left behind: the new canvas goes, the original is untouched.
          await store.deleteCanvas(copy.id)
          deps.bus.publishNotice(copy.id, { kind: 'deleted' })
          throw err
        }
        await triggers.canvasChanged(user.id, 'canvas.created', {
          canvasId: copy.id,
          name: copy.name,
          copiedFrom: canvas.id,
        })
        triggers.consumer?.wake()
        const edit = (await opLog.lastEdits([copy.id])).get(copy.id)
        const editedAt = edit?.at === undefined ? copy.createdAt : new Date(edit.at).toISOString()
        const listing: CanvasListing = { ...copy, seq, editedAt }
        return reply.code(201).send({ canvas: listing })
      },
    )
  }

/** A copied object's create, checked by the WebSocket parser itself like any other [PROTO1]. */
function requestOf(object: NewObject): OpRequest {
  const parsed = parseClientMessage(JSON.stringify({ type: 'object-create', opId: randomUUID(), object }))
  if (!parsed.ok || !isClientOpMessage(parsed.message)) {
    // An object stored under older, looser rules: say which, copy nothing.
    throw new AppError(
      'conflict',
      `object ${object.id} cannot be copied: ${parsed.ok ? 'not an object' : parsed.message}`,
    )
  }
  return opFromMessage(parsed.message)
}

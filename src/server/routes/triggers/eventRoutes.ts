import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError } from 'fastify'
import { Type } from 'typebox'
import { AppError, invalidInput, notFound } from '../../../protocol/appError.js'
import { sendError } from '../../plugins/errorHandler.js'
import type { Deps } from '../../deps.js'
import { newEventId } from '../../../triggers/canvasEvents.js'
import { EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN } from '../../../triggers/eventTypes.js'
import type { StoredEvent } from '../../../triggers/triggerStore.js'
import type { Triggers } from '../../../triggers/triggers.js'
import { requireApiKey } from './apiKeyAuth.js'
import { decodeCursor, encodeCursor } from './inboxCursor.js'

export const MAX_PAYLOAD_BYTES = 256 * 1024
/** The body around the payload: type, dedupId, punctuation. Beyond payload + this, Fastify refuses unread. */
const ENVELOPE_BYTES = 4 * 1024
export const DEFAULT_INBOX_LIMIT = 50
export const MAX_INBOX_LIMIT = 500

const EventType = Type.String({ minLength: 1, maxLength: EVENT_TYPE_MAX_LENGTH, pattern: EVENT_TYPE_PATTERN })
// `canvas:` names are the canvas events' own; printable ASCII keeps ids loggable.
const DedupId = Type.String({ minLength: 1, maxLength: 200, pattern: '^(?!canvas:)[\\x21-\\x7e]+$' })
const EventIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
})

export function publicEvent(event: StoredEvent) {
  return {
    id: event.id,
    type: event.type,
    payload: event.payload,
    status: event.status,
    createdAt: new Date(event.createdAt).toISOString(),
  }
}

export const eventRoutes =
  (deps: Deps, triggers: Triggers): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { now } = deps

    // Only this plugin's routes: the 413 names this endpoint's limit, not the app's 1 MiB.
    app.setErrorHandler((err: FastifyError, _request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return sendError(reply, new AppError('payload_too_large', 'payload is larger than 256 KiB'))
      }
      throw err
    })

    app.post(
      '/api/events',
      {
        bodyLimit: MAX_PAYLOAD_BYTES + ENVELOPE_BYTES,
        schema: {
          body: Type.Object(
            {
              type: EventType,
              payload: Type.Object({}, { additionalProperties: true }),
              dedupId: Type.Optional(DedupId),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const key = await requireApiKey(request, reply, triggers, now())
        const { type, payload, dedupId } = request.body
        const payloadJson = JSON.stringify(payload)
        if (Buffer.byteLength(payloadJson) > MAX_PAYLOAD_BYTES) {
          throw new AppError('payload_too_large', 'payload is larger than 256 KiB')
        }
        const result = await triggers.ingest({
          id: newEventId(),
          ownerId: key.userId,
          type,
          payloadJson,
          ...(dedupId !== undefined ? { dedupId } : {}),
          createdAt: now(),
        })
        return reply.code(202).send({
          id: result.id,
          status: 'accepted',
          message: result.duplicate ? 'Event already queued (same dedupId)' : 'Event queued for processing',
          ...(result.duplicate ? { duplicate: true } : {}),
        })
      },
    )

    app.get(
      '/api/inbox',
      {
        schema: {
          querystring: Type.Object(
            {
              type: Type.Optional(EventType),
              status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('acked')])),
              since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
              limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
              cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const key = await requireApiKey(request, reply, triggers, now())
        const q = request.query
        const order = q.order ?? 'asc'
        const limit = q.limit === undefined ? DEFAULT_INBOX_LIMIT : Number(q.limit)
        if (limit < 1 || limit > MAX_INBOX_LIMIT) {
          throw invalidInput('querystring.limit', `querystring.limit must be from 1 to ${MAX_INBOX_LIMIT}`)
        }
        let since: number | undefined
        if (q.since !== undefined) {
          since = Date.parse(q.since)
          if (!/^\d{4}-\d{2}-\d{2}/.test(q.since) || Number.isNaN(since)) {
            throw invalidInput('querystring.since', 'querystring.since must be an ISO-8601 time')
          }
        }
        const page = await triggers.store.listEvents(key.userId, {
          ...(q.type !== undefined ? { type: q.type } : {}),
          ...(q.status !== undefined ? { status: q.status } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor, order) } : {}),
          limit,
          order,
        })
        // nextCursor is there after the last page too: a poller keeps it and asks again later.
        const position = page.last ?? (q.cursor !== undefined ? decodeCursor(q.cursor, order) : undefined)
        return {
          events: page.events.map(publicEvent),
          nextCursor: position === undefined ? null : encodeCursor(order, position),
          hasMore: page.hasMore,
        }
      },
    )

    app.post('/api/ack/:id', { schema: { params: EventIdParams } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      if (!(await triggers.store.ackEvent(key.userId, request.params.id, now()))) throw notFound('event')
      return { id: request.params.id, status: 'acked' }
    })

    app.get('/api/events/:id/deliveries', { schema: { params: EventIdParams } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      const deliveries = await triggers.store.listDeliveries(key.userId, request.params.id)
      if (deliveries === undefined) throw notFound('event')
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
      return {
        deliveries: deliveries.map((d) => ({
          ...d,
          nextAttemptAt: iso(d.nextAttemptAt),
          attemptLog: d.attemptLog.map((a) => ({ ...a, at: iso(a.at) })),
        })),
      }
    })

    app.get('/api/queue/stats', async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      const stats = await triggers.stats(key.userId)
      return {
        pending: stats.pending,
        acked: stats.acked,
        delivered: stats.deliveries.delivered,
        failed: stats.deliveries.failed,
        dead: stats.deliveries.dead,
        deliveries: stats.deliveries,
        oldestPendingAgeSec:
          stats.oldestPendingAt === undefined
            ? null
            : Math.max(0, Math.floor((now() - stats.oldestPendingAt) / 1000)),
        ingestRatePerSec: stats.eventsLastMinute / 60,
        deliveryRatePerSec: stats.deliveriesLastMinute / 60,
      }
    })
  }

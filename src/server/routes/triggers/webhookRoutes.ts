import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { AppError, invalidInput, notFound } from '../../../protocol/appError.js'
import type { Deps } from '../../deps.js'
import { EVENT_FILTER_PATTERN, EVENT_TYPE_MAX_LENGTH } from '../../../triggers/eventTypes.js'
import type { WebhookEndpoint } from '../../../triggers/triggerStore.js'
import type { Triggers } from '../../../triggers/triggers.js'
import { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from '../../../triggers/webhookUrlGuard.js'
import { newWebhookSecret } from '../../../triggers/webhookSigner.js'
import { requireApiKey } from './apiKeyAuth.js'

export const MAX_ENDPOINTS_PER_OWNER = 25
/** How long a rotated-out secret still signs deliveries (beside the new one). */
export const SECRET_GRACE_MS = 24 * 3600 * 1000

const EndpointBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_WEBHOOK_URL_LENGTH }),
    eventTypes: Type.Optional(
      Type.Array(
        Type.String({ minLength: 1, maxLength: EVENT_TYPE_MAX_LENGTH, pattern: EVENT_FILTER_PATTERN }),
        {
          maxItems: 50,
          uniqueItems: true,
        },
      ),
    ),
  },
  { additionalProperties: false },
)
const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
})

function publicEndpoint(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    createdAt: new Date(endpoint.createdAt).toISOString(),
    enabled: endpoint.disabledAt === null,
    disabledReason: endpoint.disabledReason,
  }
}

export const webhookRoutes =
  (deps: Deps, triggers: Triggers): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { now } = deps

    /** The URL as given, once it passed the SSRF check [S1]. */
    async function checkedUrl(url: string): Promise<string> {
      const check = await checkWebhookUrl(url, triggers.guard)
      if (!check.ok) throw invalidInput('body.url', `body.url is refused: ${check.reason}`)
      return url
    }

    async function create(ownerId: string, body: { url: string; eventTypes?: string[] | undefined }) {
      const url = await checkedUrl(body.url)
      const existing = await triggers.store.listEndpoints(ownerId)
      if (existing.length >= MAX_ENDPOINTS_PER_OWNER) {
        throw new AppError(
          'limit_exceeded',
          `at most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints per account`,
        )
      }
      const endpoint = {
        id: randomUUID(),
        ownerId,
        url,
        eventTypes: body.eventTypes ?? [],
        secret: newWebhookSecret(),
        createdAt: now(),
      }
      await triggers.store.createEndpoint(endpoint)
      return endpoint
    }

    // The single-webhook form: setting the same URL again keeps its endpoint and secret.
    app.post('/api/webhook/config', { schema: { body: EndpointBody } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      const same = (await triggers.store.listEndpoints(key.userId)).find((e) => e.url === request.body.url)
      if (same !== undefined) {
        await checkedUrl(same.url)
        const eventTypes = request.body.eventTypes ?? []
        await triggers.store.setEndpointTypes(key.userId, same.id, eventTypes)
        return { webhook: { ...publicEndpoint({ ...same, eventTypes }), secret: same.secret } }
      }
      const endpoint = await create(key.userId, request.body)
      return {
        webhook: {
          ...publicEndpoint({
            ...endpoint,
            previousSecret: null,
            previousSecretUntil: null,
            disabledAt: null,
            disabledReason: null,
          }),
          secret: endpoint.secret,
        },
      }
    })

    app.post('/api/webhooks', { schema: { body: EndpointBody } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      const endpoint = await create(key.userId, request.body)
      return reply.code(201).send({
        webhook: {
          ...publicEndpoint({
            ...endpoint,
            previousSecret: null,
            previousSecretUntil: null,
            disabledAt: null,
            disabledReason: null,
          }),
          secret: endpoint.secret,
        },
      })
    })

    app.get('/api/webhooks', async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      return { webhooks: (await triggers.store.listEndpoints(key.userId)).map(publicEndpoint) }
    })

    app.delete('/api/webhooks/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      if (!(await triggers.store.deleteEndpoint(key.userId, request.params.id))) throw notFound('webhook')
      return reply.code(204).send()
    })

    app.post('/api/webhooks/:id/rotate-secret', { schema: { params: IdParams } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      const secret = newWebhookSecret()
      const until = now() + SECRET_GRACE_MS
      if (!(await triggers.store.rotateSecret(key.userId, request.params.id, secret, until)))
        throw notFound('webhook')
      return { id: request.params.id, secret, previousSecretValidUntil: new Date(until).toISOString() }
    })

    app.post('/api/webhooks/:id/enable', { schema: { params: IdParams } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      if (!(await triggers.store.enableEndpoint(key.userId, request.params.id))) throw notFound('webhook')
      triggers.worker.wake()
      return { id: request.params.id, enabled: true }
    })

    app.post('/api/deliveries/:id/replay', { schema: { params: IdParams } }, async (request, reply) => {
      const key = await requireApiKey(request, reply, triggers, now())
      if (!(await triggers.store.replayDelivery(key.userId, request.params.id, now())))
        throw notFound('delivery')
      triggers.worker.wake()
      return reply.code(202).send({ id: request.params.id, status: 'pending' })
    })
  }

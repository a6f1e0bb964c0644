import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { AppError, notFound } from '../../../protocol/appError.js'
import { requireAuth } from '../../plugins/authentication.js'
import { VisibleText } from '../textSchemas.js'
import type { Deps } from '../../deps.js'
import { newApiKey } from '../../../triggers/apiKeyTokens.js'
import type { ApiKeyRecord } from '../../../triggers/triggerStore.js'
import type { Triggers } from '../../../triggers/triggers.js'
import { hasApiKey, requireApiKey } from './apiKeyAuth.js'

/** Live keys one user may hold. */
export const MAX_KEYS_PER_USER = 20

const KeyIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
})

export function publicKey(key: ApiKeyRecord) {
  return {
    keyId: key.keyId,
    name: key.name,
    prefix: key.prefix,
    tier: key.tier,
    createdAt: new Date(key.createdAt).toISOString(),
    lastUsedAt: key.lastUsedAt === null ? null : new Date(key.lastUsedAt).toISOString(),
  }
}

export const keyRoutes =
  (deps: Deps, triggers: Triggers): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, now } = deps

    app.post(
      '/api/keys/generate',
      {
        schema: {
          body: Type.Optional(
            Type.Object({ name: Type.Optional(VisibleText(100)) }, { additionalProperties: false }),
          ),
        },
      },
      async (request, reply) => {
        const { user } = await requireAuth(request, accounts)
        if ((await triggers.store.listKeys(user.id)).length >= MAX_KEYS_PER_USER) {
          throw new AppError(
            'limit_exceeded',
            `at most ${MAX_KEYS_PER_USER} API keys per account; revoke one first`,
          )
        }
        const { apiKey, prefix, hash } = newApiKey()
        const keyId = randomUUID()
        const name = request.body?.name?.trim() ?? 'API key'
        await triggers.store.createKey({
          keyId,
          userId: user.id,
          name,
          prefix,
          hash,
          tier: 'free',
          createdAt: now(),
        })
        // Shown this once: only the hash is stored.
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ apiKey, keyId, tier: 'free', prefix, name })
      },
    )

    app.get('/api/keys', async (request, reply) => {
      if (hasApiKey(request)) {
        const key = await requireApiKey(request, reply, triggers, now())
        return { keys: [publicKey(key)] }
      }
      const { user } = await requireAuth(request, accounts)
      return { keys: (await triggers.store.listKeys(user.id)).map(publicKey) }
    })

    app.delete('/api/keys/:id', { schema: { params: KeyIdParams } }, async (request, reply) => {
      const { user } = await requireAuth(request, accounts)
      if (!(await triggers.store.revokeKey(user.id, request.params.id, now()))) throw notFound('API key')
      return reply.code(204).send()
    })
  }

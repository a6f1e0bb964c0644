import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError, unauthorized } from '../../../protocol/appError.js'
import { API_KEY_START } from '../../../triggers/apiKeyTokens.js'
import { tierRule } from '../../../triggers/tiers.js'
import type { ApiKeyRecord } from '../../../triggers/triggerStore.js'
import type { Triggers } from '../../../triggers/triggers.js'

/**
 * The API key a request carries: `X-API-Key`, or `Authorization: Bearer cck_…` (the prefix tells
 * a key from a session token, which has none).
 */
export function apiKeyTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string') return header.trim()
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match?.[1]?.startsWith(API_KEY_START) === true ? match[1] : undefined
}

export function hasApiKey(request: FastifyRequest): boolean {
  return apiKeyTokenOf(request) !== undefined
}

/**
 * The live key of the request, after taking one token from its bucket: the rate-limit headers go
 * on every answer to a key, and a key past its tier's limit gets 429 with Retry-After.
 */
export async function requireApiKey(
  request: FastifyRequest,
  reply: FastifyReply,
  triggers: Triggers,
  now: number,
): Promise<ApiKeyRecord> {
  const token = apiKeyTokenOf(request)
  if (token === undefined) throw unauthorized('an API key is required (X-API-Key or Authorization: Bearer)')
  const key = await triggers.keyOf(token)
  if (key === undefined) throw unauthorized('the API key is not valid or was revoked')
  const decision = await triggers.limiter.take(key.keyId, tierRule(key.tier), now)
  void reply.headers({
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(decision.resetSec),
  })
  if (!decision.ok) {
    throw new AppError('rate_limited', `the ${key.tier} tier allows ${decision.limit} requests a minute`, {
      retryAfterSec: decision.retryAfterSec,
    })
  }
  return key
}

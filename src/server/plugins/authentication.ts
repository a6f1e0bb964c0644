import type { FastifyReply, FastifyRequest } from 'fastify'
import type {} from '@fastify/cookie' // fastify.parseCookie / reply.setCookie types
import type { Accounts, Authenticated, SignedIn } from '../../auth/accounts.js'
import { unauthorized } from '../../protocol/appError.js'

export const SESSION_COOKIE = 'session'

/** Bearer token first (API clients), then the session cookie (the web app). */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match?.[1]
  }
  return sessionCookieOf(request)
}

/**
 * The session cookie, parsed only when asked: the cookie plugin runs without its per-request
 * parsing hook (app.ts), a cost every request paid and few need.
 */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  return header === undefined ? undefined : request.server.parseCookie(header)[SESSION_COOKIE]
}

const cache = new WeakMap<FastifyRequest, Promise<Authenticated | undefined>>()

export function authenticate(
  request: FastifyRequest,
  accounts: Accounts,
): Promise<Authenticated | undefined> {
  let pending = cache.get(request)
  if (!pending) {
    const token = sessionTokenOf(request)
    pending = token === undefined ? Promise.resolve(undefined) : accounts.authenticate(token)
    cache.set(request, pending)
  }
  return pending
}

export async function requireAuth(request: FastifyRequest, accounts: Accounts): Promise<Authenticated> {
  const auth = await authenticate(request, accounts)
  if (!auth) throw unauthorized()
  return auth
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  signedIn: SignedIn,
  maxAgeSec: number,
): void {
  reply.setCookie(SESSION_COOKIE, signedIn.sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    maxAge: maxAgeSec,
  })
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
  })
}

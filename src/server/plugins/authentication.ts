import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import type { Accounts, Authenticated, SignedIn } from '../../auth/accounts.js'
import { unauthorized } from '../../protocol/appError.js'

export const SESSION_COOKIE = 'session'
/** Marks a browser that signed in to an account before: login throttling trusts it more [A2]. */
export const DEVICE_COOKIE = 'device'
const DEVICE_COOKIE_MAX_AGE_SEC = 365 * 24 * 3600

/** Bearer token first (API clients), then the session cookie (the web app). */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match?.[1]
  }
  return sessionCookieOf(request.headers)
}

/**
 * The session cookie of an HTTP request or a WebSocket upgrade, parsed only when asked. The
 * `cookie` library is used directly, not through @fastify/cookie, whose hooks cost every request
 * (a parser before it, a writer after it) while only authentication touches cookies.
 */
export function sessionCookieOf(headers: IncomingHttpHeaders): string | undefined {
  return headers.cookie === undefined ? undefined : parseCookies(headers.cookie)[SESSION_COOKIE]
}

export function deviceCookieOf(headers: IncomingHttpHeaders): string | undefined {
  return headers.cookie === undefined ? undefined : parseCookies(headers.cookie)[DEVICE_COOKIE]
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

/** Secure whenever the request came over TLS, directly or through a trusted proxy [A3]. */
function sessionCookieOptions(request: FastifyRequest): SerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' }
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  signedIn: SignedIn,
  maxAgeSec: number,
): void {
  reply.header(
    'set-cookie',
    serializeCookie(SESSION_COOKIE, signedIn.sessionId, {
      ...sessionCookieOptions(request),
      maxAge: maxAgeSec,
    }),
  )
  // Only the login endpoint ever reads it; Strict: no other site can make a browser send it.
  reply.header(
    'set-cookie',
    serializeCookie(DEVICE_COOKIE, signedIn.deviceToken, {
      path: '/api/login',
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      maxAge: DEVICE_COOKIE_MAX_AGE_SEC,
    }),
  )
}

/** Tells the browser to drop the cookie now: empty, expired, with the attributes it was set with. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    'set-cookie',
    serializeCookie(SESSION_COOKIE, '', {
      ...sessionCookieOptions(request),
      maxAge: 0,
      expires: new Date(0),
    }),
  )
}

import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'
import cors from '@fastify/cors'
import { AppError } from '../../protocol/appError.js'
import { sessionCookieOf } from './authentication.js'
import { sendError } from './errorHandler.js'

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface OriginPolicy {
  /** Extra origins allowed besides the request's own (CORS_ORIGIN, PUBLIC_URL). */
  allowedOrigins: readonly string[]
}

/** Where a request was addressed: what a browser on our own page sends as Origin. */
export interface RequestTarget {
  protocol: string
  host: string
}

export function isAllowedOrigin(origin: string, target: RequestTarget, policy: OriginPolicy): boolean {
  return origin === `${target.protocol}://${target.host}` || policy.allowedOrigins.includes(origin)
}

const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
}

/**
 * helmet's headers for HTML documents and the web app's files, computed once: they do not
 * depend on the request, and @fastify/helmet re-ran helmet (re-parsing the CSP) on every request.
 */
export const DOCUMENT_HEADERS: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()]
    },
  }
  helmet({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    // HSTS only means something over TLS; added per request when the request came over https.
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
  })({} as IncomingMessage, recorder as unknown as ServerResponse, () => {})
  return Object.freeze(headers)
})()

/**
 * Every other response (JSON, metrics, errors): what an API response needs [A5] (the OWASP REST
 * Security Cheat Sheet's set). A document-only header (COOP, X-Frame-Options, X-XSS-Protection,
 * …) means nothing on JSON, and each header costs Node work on every response (validated and
 * written by writeHead).
 */
export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
})

/**
 * Headers on every response [A5] with its request id, CORS from CORS_ORIGIN, request-encoding and
 * CSRF checks [A4]. One callback-style hook: every hook, and every promise, costs each request.
 */
export async function registerSecurity(app: FastifyInstance, policy: OriginPolicy): Promise<void> {
  // Same-origin needs no CORS headers: the plugin's per-request hook only runs when configured.
  if (policy.allowedOrigins.length > 0) {
    await app.register(cors, {
      credentials: true,
      // @fastify/cors allows only GET, HEAD and POST by default: a web app on CORS_ORIGIN could
      // not rename or delete a canvas, nor remove a member.
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      origin: (origin, cb) => cb(null, origin !== undefined && policy.allowedOrigins.includes(origin)),
    })
  }

  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(API_HEADERS)
    reply.header('x-request-id', request.id)
    if (request.protocol === 'https') {
      reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains')
    }
    if (request.url.startsWith('/api/') || request.url.startsWith('/auth/'))
      reply.header('cache-control', 'no-store')
    const refusal = refusalOf(request, policy)
    // A hook that answers does not call done(): the request goes no further.
    if (refusal) sendError(reply, refusal)
    else done()
  })
}

/** Why a request is refused before routing, if it is. */
function refusalOf(request: FastifyRequest, policy: OriginPolicy): AppError | undefined {
  // Node 20's Brotli decoder is unsafe on untrusted bytes, and we never need compressed
  // uploads: refuse every request encoding rather than decode any of it.
  const encoding = request.headers['content-encoding']
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return new AppError('unsupported_media_type', 'request bodies must not be compressed')
  }
  if (!UNSAFE_METHODS.has(request.method)) return undefined
  const origin = request.headers.origin
  if (origin !== undefined) {
    return isAllowedOrigin(origin, request, policy)
      ? undefined
      : new AppError('forbidden', 'cross-site request refused')
  }
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    return new AppError('forbidden', 'cross-site request refused')
  }
  // A browser always sends Origin on unsafe requests; a cookie without one is not from our page.
  const usesCookie =
    request.headers.authorization === undefined && sessionCookieOf(request.headers) !== undefined
  return usesCookie
    ? new AppError('forbidden', 'requests authenticated by cookie must carry an Origin header')
    : undefined
}

import type { IncomingMessage } from 'node:http'
import proxyAddr from '@fastify/proxy-addr'
import type { TrustProxy } from './config.js'

/** Which hop may set X-Forwarded-For: as Fastify's `trustProxy` option takes it. */
export type ProxyTrust = false | string[] | ((address: string, hop: number) => boolean)

/**
 * Fastify's trustProxy for TRUST_PROXY. A hop count is given as a function: Fastify turns a
 * bare number into "trust nobody" (a direct client could otherwise forge the hops).
 */
export function proxyTrust(trust: TrustProxy): ProxyTrust {
  if (trust === false) return false
  if ('hops' in trust) return (_address, hop) => hop < trust.hops
  return [...trust.addresses]
}

/**
 * The client's address for a raw request (a WebSocket upgrade, which Fastify never sees), by the
 * same rule as `request.ip`: behind a trusted proxy, the nearest untrusted X-Forwarded-For
 * entry; otherwise the socket's peer, whatever the headers say [W6].
 */
export function clientAddressOf(request: IncomingMessage, trust: ProxyTrust): string | undefined {
  if (trust === false || request.socket.remoteAddress === undefined) return request.socket.remoteAddress
  return proxyAddr(request, trust)
}

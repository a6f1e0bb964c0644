import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/** Every address a host name resolves to. Injectable: the S1/S2 tests resolve names themselves. */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>

export const resolveWithDns: ResolveHost = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }))

// Everything that is not the public internet [S1]: loopback, private, carrier-grade NAT,
// link-local (the cloud metadata services live there), documentation, benchmarking, multicast and
// reserved ranges, and the IPv6 forms that embed an IPv4 address (NAT64, 6to4, Teredo), which
// could smuggle any of the former past an IPv4-only check. IPv4-mapped addresses (::ffff:a.b.c.d)
// need no rule: BlockList checks them against the IPv4 rules (and would block every IPv4 address
// if ::ffff:0:0/96 were listed).
const BLOCKED = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6')
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  return BLOCKED.check(address, family === 6 ? 'ipv6' : 'ipv4')
}

export type UrlCheck =
  { ok: true; url: URL; address: { address: string; family: 4 | 6 } } | { ok: false; reason: string }

export interface UrlGuardOptions {
  /** ALLOW_PRIVATE_WEBHOOKS=true: private and loopback targets are allowed (tests, closed networks). */
  allowPrivate: boolean
  resolve: ResolveHost
}

export const MAX_WEBHOOK_URL_LENGTH = 2048

/**
 * Checks a webhook URL and picks the address to connect to: http(s) only, no credentials, and
 * every address the host resolves to public [S1]. Run at registration and again before every
 * delivery, whose connection then goes to the address checked here, never to a second lookup of
 * the name (DNS rebinding) [S2].
 */
export async function checkWebhookUrl(raw: string, options: UrlGuardOptions): Promise<UrlCheck> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { ok: false, reason: 'not a valid URL' }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: 'only http and https URLs' }
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'credentials in the URL are not allowed' }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  let addresses: { address: string; family: 4 | 6 }[]
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }]
  else {
    try {
      addresses = await options.resolve(host)
    } catch {
      return { ok: false, reason: `the host ${host} does not resolve` }
    }
  }
  const first = addresses[0]
  if (first === undefined) return { ok: false, reason: `the host ${host} does not resolve` }
  if (!options.allowPrivate && addresses.some((a) => isBlockedAddress(a.address))) {
    return { ok: false, reason: 'the URL points to a private, loopback or link-local address' }
  }
  return { ok: true, url, address: first }
}

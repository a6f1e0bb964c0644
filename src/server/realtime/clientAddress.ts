import { isIPv6 } from 'node:net'

/**
 * The key under which a client's pre-auth sockets are counted [W6]: an IPv4 address as is (also
 * when it arrives IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64, the block a
 * single subscriber is usually given: counting whole IPv6 addresses would let one client
 * rotate through 2^64 of them.
 */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress)
  if (mapped) return mapped[1] as string
  if (!isIPv6(remoteAddress)) return remoteAddress
  return `${expandIPv6(remoteAddress).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded, zone id dropped, in short hex. */
function expandIPv6(address: string): string[] {
  // An embedded IPv4 tail (`64:ff9b::1.2.3.4`) is the last two groups.
  const hex = address
    .replace(/%.*$/, '')
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
      [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((n) => n.toString(16)).join(':'),
    )
  const [head = '', tail] = hex.split('::')
  const part = (s: string | undefined) => (s ? s.split(':') : [])
  const left = part(head)
  const right = part(tail)
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return groups.map((g) => Number.parseInt(g, 16).toString(16))
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Device cookies (OWASP "Slow down online guessing attacks with device cookies") [A2]: a browser
 * that once signed in to an account gets a token bound to that account's email. Logins that
 * present it are counted on their own bucket, so a flood from the same address (a shared proxy,
 * an office NAT) or aimed at the same account cannot lock the real user out.
 *
 * The key lives in memory: after a restart, earlier cookies are simply not trusted until their
 * browser signs in once more (they only ever loosen throttling, never authenticate).
 */
export class DeviceCookies {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  /** `<device id>.<mac>`: 128-bit random id, MAC over id and email. */
  issue(email: string): string {
    const id = randomBytes(16).toString('base64url')
    return `${id}.${this.mac(id, email)}`
  }

  /** The device id when the token was issued by this server for this email, else undefined. */
  verify(token: string | undefined, email: string): string | undefined {
    if (token === undefined) return undefined
    const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/.exec(token)
    if (!match) return undefined
    const [, id = '', mac = ''] = match
    const expected = Buffer.from(this.mac(id, email))
    const given = Buffer.from(mac)
    return expected.length === given.length && timingSafeEqual(expected, given) ? id : undefined
  }

  private mac(id: string, email: string): string {
    // 128 bits of the HMAC: forging one is as hard as guessing a session token.
    return createHmac('sha256', this.key)
      .update(`${id}|${email}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url')
  }
}

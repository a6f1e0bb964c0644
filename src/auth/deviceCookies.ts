import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Device cookies (OWASP "Slow down online guessing attacks with device cookies") [A2]: a browser
 * that once signed in to an account gets a token bound to that account's email. Logins that
 * present it are counted on their own bucket, so a flood from the same address (a shared proxy,
 * an office NAT) or aimed at the same account cannot lock the real user out.
 *
 * With BUS=memory the key lives in memory: after a restart, earlier cookies are simply not
 * trusted until their browser signs in once more (they only ever loosen throttling, never
 * authenticate). Several instances share one key kept in their shared storage (busSetup.ts), so a
 * cookie issued by one is honoured by all.
 */
export class DeviceCookies {
  private readonly key: Promise<Buffer>

  constructor(key: Buffer | Promise<Buffer> = randomBytes(32)) {
    this.key = Promise.resolve(key)
  }

  /** `<device id>.<mac>`: 128-bit random id, MAC over id and email. */
  async issue(email: string): Promise<string> {
    const id = randomBytes(16).toString('base64url')
    return `${id}.${this.mac(await this.key, id, email)}`
  }

  /** The device id when the token was issued by this deployment for this email, else undefined. */
  async verify(token: string | undefined, email: string): Promise<string | undefined> {
    if (token === undefined) return undefined
    const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/.exec(token)
    if (!match) return undefined
    const [, id = '', mac = ''] = match
    const expected = Buffer.from(this.mac(await this.key, id, email))
    const given = Buffer.from(mac)
    return expected.length === given.length && timingSafeEqual(expected, given) ? id : undefined
  }

  private mac(key: Buffer, id: string, email: string): string {
    // 128 bits of the HMAC: forging one is as hard as guessing a session token.
    return createHmac('sha256', key).update(`${id}|${email}`).digest().subarray(0, 16).toString('base64url')
  }
}

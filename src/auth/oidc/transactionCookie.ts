import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * What the browser carries from /auth/login (or /auth/link) to /auth/callback: the `state`,
 * `nonce` and PKCE verifier of one authorization request, where to go afterwards, and for a
 * link the session that asked for it. It lives in a short-lived HttpOnly cookie, MAC'd so the
 * browser cannot change it; the callback accepts the provider's answer only with it [J2].
 */
export interface OidcTransaction {
  state: string
  nonce: string
  codeVerifier: string
  /** A same-site path (returnTo.ts). */
  returnTo: string
  mode: 'login' | 'link'
  /** For `link`: the hash of the session that started it; the callback must come from it. */
  linkSession?: string
  /** Unix ms. */
  expiresAt: number
}

export const TRANSACTION_TTL_MS = 10 * 60 * 1000
const MAX_COOKIE_LENGTH = 3000

export class TransactionSealer {
  constructor(private readonly key: Buffer) {}

  seal(tx: OidcTransaction): string {
    const body = Buffer.from(JSON.stringify(tx)).toString('base64url')
    return `${body}.${this.mac(body)}`
  }

  /** The transaction if the cookie is one we sealed and it has not expired at `now`. */
  open(cookie: string | undefined, now: number): OidcTransaction | undefined {
    if (cookie === undefined || cookie.length > MAX_COOKIE_LENGTH) return undefined
    const [body = '', mac = '', ...rest] = cookie.split('.')
    if (rest.length > 0 || !/^[A-Za-z0-9_-]+$/.test(body)) return undefined
    const expected = Buffer.from(this.mac(body))
    const given = Buffer.from(mac)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
    let tx: OidcTransaction
    try {
      tx = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as OidcTransaction
    } catch {
      return undefined
    }
    return typeof tx.expiresAt === 'number' && tx.expiresAt > now ? tx : undefined
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url')
  }
}

import { createHash, randomBytes } from 'node:crypto'

/** 256 random bits, URL-safe: the bearer secret a client holds. Only its hash is stored. */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url')
}

/** SHA-256 is enough here: the token has 256 bits of entropy, so there is nothing to brute-force. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Cheap shape check before touching the database. */
export function looksLikeSessionToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}

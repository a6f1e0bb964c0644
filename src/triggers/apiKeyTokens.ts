import { createHash, randomBytes } from 'node:crypto'

/**
 * API keys look like `cck_<8 prefix chars>_<43 secret chars>`. The `cck_` start tells them from
 * session tokens in an `Authorization: Bearer` header; the prefix is shown in lists so people can
 * tell their keys apart; only the SHA-256 of the whole key is stored (256 random bits: nothing to
 * brute-force, as for session tokens).
 */
export const API_KEY_START = 'cck_'
const API_KEY_PATTERN = /^cck_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

export interface NewApiKey {
  apiKey: string
  /** `cck_` and the 8 visible characters: what lists show. */
  prefix: string
  hash: string
}

export function newApiKey(): NewApiKey {
  const prefixBytes = randomBytes(8)
  let visible = ''
  for (const byte of prefixBytes) visible += PREFIX_ALPHABET[byte % PREFIX_ALPHABET.length]
  const prefix = `${API_KEY_START}${visible}`
  const apiKey = `${prefix}_${randomBytes(32).toString('base64url')}`
  return { apiKey, prefix, hash: hashApiKey(apiKey) }
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex')
}

/** Cheap shape check before touching the database. */
export function looksLikeApiKey(token: string): boolean {
  return API_KEY_PATTERN.test(token)
}

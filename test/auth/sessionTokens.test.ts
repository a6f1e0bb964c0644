import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashSessionToken, looksLikeSessionToken, newSessionToken } from '../../src/auth/sessionTokens.js'

describe('session tokens', () => {
  it('[A3] when a token is made then it carries 256 random bits, URL-safe', () => {
    const token = newSessionToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
  })

  it('[A3] when many tokens are made then none repeats', () => {
    const tokens = new Set(Array.from({ length: 2000 }, newSessionToken))
    expect(tokens.size).toBe(2000)
  })

  it('when a token is hashed then it is its SHA-256 in hex, never the token itself', () => {
    const token = newSessionToken()
    const hash = hashSessionToken(token)
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hash).not.toContain(token)
  })

  it.each([
    [newSessionToken(), true],
    ['A'.repeat(43), true],
    ['A'.repeat(42), false],
    ['A'.repeat(44), false],
    [`${'A'.repeat(42)}=`, false],
    [`${'A'.repeat(42)}+`, false],
    ['', false],
    [hashSessionToken('x'), false],
  ])('when checking the shape of %j then %s', (token, expected) => {
    expect(looksLikeSessionToken(token)).toBe(expected)
  })
})

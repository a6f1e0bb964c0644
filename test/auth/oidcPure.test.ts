import { describe, expect, it } from 'vitest'
import { usernameFromClaims } from '../../src/auth/oidc/oidcSignIn.js'
import { safeReturnTo } from '../../src/auth/oidc/returnTo.js'
import { TransactionSealer, type OidcTransaction } from '../../src/auth/oidc/transactionCookie.js'

describe('[J2] returnTo', () => {
  it.each([
    ['/', '/'],
    ['/canvas/abc?x=1#top', '/canvas/abc?x=1#top'],
    ['/a/../b', '/b'],
    // Percent-encoded stays encoded: no header splitting through the Location header.
    ['/%0d%0aSet-Cookie:x', '/%0d%0aSet-Cookie:x'],
  ])('[J2] when returnTo is the same-site path %j then it is kept as %j', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected)
  })

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'evil.example',
    '/\t/evil.example',
    '',
    `/${'a'.repeat(3000)}`,
  ])('[J2] when returnTo is %j then the fallback is used', (value) => {
    expect(safeReturnTo(value, '/account')).toBe('/account')
  })
})

describe('[J2] transaction cookie', () => {
  const tx: OidcTransaction = {
    state: 's',
    nonce: 'n',
    codeVerifier: 'v',
    returnTo: '/',
    mode: 'login',
    expiresAt: 2_000,
  }

  it('[J2] when a sealed transaction is opened before its expiry by the same key then it comes back whole', () => {
    const sealer = new TransactionSealer(Buffer.alloc(32, 1))
    expect(sealer.open(sealer.seal(tx), 1_999)).toEqual(tx)
    expect(sealer.open(sealer.seal(tx), 2_000)).toBeUndefined()
  })

  it('[J2] when the cookie is changed, cut, or sealed by another key then it does not open', () => {
    const sealer = new TransactionSealer(Buffer.alloc(32, 1))
    const sealed = sealer.seal(tx)
    const [body = '', mac = ''] = sealed.split('.')
    const other = Buffer.from(JSON.stringify({ ...tx, returnTo: '/x' })).toString('base64url')
    for (const bad of [
      `${other}.${mac}`,
      body,
      `${body}.`,
      `${body}.${mac}.x`,
      new TransactionSealer(Buffer.alloc(32, 2)).seal(tx),
      'x'.repeat(4000),
      undefined,
    ]) {
      expect(sealer.open(bad, 0)).toBeUndefined()
    }
  })
})

describe('[OIDC] usernames from claims', () => {
  it.each([
    [{ name: '  Ada   Lovelace ' }, 'Ada Lovelace'],
    [{ name: '\u202eevil\u0000', nickname: 'x' }, 'evil'],
    [{ name: '', nickname: 'ada_l' }, 'ada_l'],
    [{ email: 'grace@example.test' }, 'grace'],
    [{}, 'user'],
    [{ name: 'x'.repeat(80) }, 'x'.repeat(40)],
    [{ name: '\u200b\u200b' }, 'user'],
  ])('[OIDC] when the claims are %j then the username is %j', (claims, expected) => {
    expect(usernameFromClaims({ name: undefined, nickname: undefined, email: undefined, ...claims })).toBe(
      expected,
    )
  })
})

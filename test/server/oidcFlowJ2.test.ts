import { describe, expect, it } from 'vitest'
import { CookieJar } from '../support/oidcTestProvider.js'
import { startOidcSetup, type OidcSetup } from '../support/oidcFixtures.js'

// [J2] The OIDC flow refuses what it must (../shared/reliability.md J2), against the real local
// provider: missing, tampered or replayed state, wrong nonce, PKCE verifier mismatch, issuer
// mix-up, a reused authorization code, an expired transaction. Each: login refused (back to the
// sign-in page with sso_error=failed), no session cookie, no session or user created.

const pathOf = (url: string) => new URL(url).pathname + new URL(url).search

async function setup(): Promise<OidcSetup & { usersCreated: () => Promise<number> }> {
  const s = await startOidcSetup()
  s.idp.account('victim', { email: 'victim@example.test', email_verified: true })
  // A refused first login creates no user (and so no session of one).
  const usersCreated = async () =>
    (await s.server.deps.store.findUserByEmail('victim@example.test')) === undefined ? 0 : 1
  return { ...s, usersCreated }
}

function expectRefused(res: Response, jar: CookieJar) {
  expect(res.status).toBe(302)
  expect(res.headers.get('location')).toBe('/signin?sso_error=failed')
  expect(jar.get('session')).toBeUndefined()
}

/** Re-seals the browser's transaction cookie with one field changed (the server's own key). */
function tamperTransaction(s: OidcSetup, jar: CookieJar, change: Record<string, unknown>) {
  const oidc = s.server.deps.oidc
  if (!oidc) throw new Error('no OIDC')
  const tx = oidc.transactions.open(jar.get('oidc_tx'), Date.now())
  if (!tx) throw new Error('no transaction cookie')
  jar.set('oidc_tx', oidc.transactions.seal({ ...tx, ...change }))
}

describe('[J2] OIDC flow refusals', () => {
  it('[J2] when the callback comes without the transaction cookie (missing state) then the login is refused', async () => {
    const s = await setup()
    const callback = await s.authorize('victim')
    s.jar.delete('oidc_tx')
    expectRefused(await s.get(pathOf(callback)), s.jar)
    expect(await s.usersCreated()).toBe(0)
  })

  it('[J2] when the state in the callback is not the cookie\u2019s then the login is refused', async () => {
    const s = await setup()
    const callback = new URL(await s.authorize('victim'))
    callback.searchParams.set('state', `${callback.searchParams.get('state')}x`)
    expectRefused(await s.get(pathOf(callback.href)), s.jar)
    const noState = new URL(await s.authorize('victim'))
    noState.searchParams.delete('state')
    expectRefused(await s.get(pathOf(noState.href)), s.jar)
    expect(await s.usersCreated()).toBe(0)
  })

  it('[J2] when the transaction cookie is tampered with or expired then the login is refused', async () => {
    const s = await setup()
    await s.authorize('victim')
    const sealed = s.jar.get('oidc_tx') ?? ''
    const [body = '', mac = ''] = sealed.split('.')
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>
    const forged = Buffer.from(JSON.stringify({ ...payload, returnTo: '/evil' })).toString('base64url')
    for (const cookie of [`${forged}.${mac}`, `${body}.${mac.slice(0, -2)}AA`, 'garbage', `${body}`]) {
      const callback = await s.authorize('victim')
      s.jar.set('oidc_tx', cookie)
      expectRefused(await s.get(pathOf(callback)), s.jar)
    }
    const callback = await s.authorize('victim')
    tamperTransaction(s, s.jar, { expiresAt: Date.now() - 1 })
    expectRefused(await s.get(pathOf(callback)), s.jar)
    expect(await s.usersCreated()).toBe(0)
  })

  it('[J2] when a callback is replayed then the second one is refused and makes no session', async () => {
    const s = await setup()
    const callback = await s.authorize('victim')
    const cookie = s.jar.get('oidc_tx') ?? ''
    const first = await s.get(pathOf(callback))
    expect(first.headers.get('location')).toBe('/')
    // The same URL again, in a browser without the first session (the cookie was used up) …
    const replay = new CookieJar()
    expectRefused(await s.get(pathOf(callback), replay), replay)
    // … and even with the transaction cookie captured: the code is spent at the provider.
    replay.set('oidc_tx', cookie)
    expectRefused(await s.get(pathOf(callback), replay), replay)
  })

  it('[J2] when the authorization code is reused under a fresh valid transaction then the provider refuses it', async () => {
    const s = await setup()
    const callback = await s.authorize('victim')
    const tx = s.jar.get('oidc_tx') ?? ''
    expect((await s.get(pathOf(callback))).headers.get('location')).toBe('/')
    const attacker = new CookieJar()
    attacker.set('oidc_tx', tx)
    tamperTransaction(s, attacker, { expiresAt: Date.now() + 60_000 })
    expectRefused(await s.get(pathOf(callback), attacker), attacker)
  })

  it('[J2] when the nonce in the transaction is not the ID token\u2019s then the login is refused', async () => {
    const s = await setup()
    const callback = await s.authorize('victim')
    tamperTransaction(s, s.jar, { nonce: 'not-the-nonce-that-was-sent' })
    expectRefused(await s.get(pathOf(callback)), s.jar)
    expect(await s.usersCreated()).toBe(0)
  })

  it('[J2] when the PKCE verifier does not match the challenge then the provider refuses the code', async () => {
    const s = await setup()
    const callback = await s.authorize('victim')
    tamperTransaction(s, s.jar, { codeVerifier: 'x'.repeat(43) })
    expectRefused(await s.get(pathOf(callback)), s.jar)
    expect(await s.usersCreated()).toBe(0)
  })

  it('[J2] when the callback names another issuer (mix-up) then the login is refused', async () => {
    const s = await setup()
    const callback = new URL(await s.authorize('victim'))
    expect(callback.searchParams.get('iss')).toBe(s.idp.issuer)
    callback.searchParams.set('iss', 'https://attacker.example.test')
    expectRefused(await s.get(pathOf(callback.href)), s.jar)
    expect(await s.usersCreated()).toBe(0)
  })

  it('[J2] when the provider answers with an error then the login is refused as cancelled', async () => {
    const s = await setup()
    const callback = new URL(await s.authorize('victim'))
    const error = new URL(callback.pathname, callback)
    error.searchParams.set('error', 'access_denied')
    error.searchParams.set('state', callback.searchParams.get('state') ?? '')
    error.searchParams.set('iss', s.idp.issuer)
    const res = await s.get(pathOf(error.href))
    expect(res.headers.get('location')).toBe('/signin?sso_error=cancelled')
    expect(s.jar.get('session')).toBeUndefined()
  })

  it('[J2] when the callback query is hostile (oversized, too many fields) then 400 and no session', async () => {
    const s = await setup()
    await s.authorize('victim')
    const huge = await s.get(`/auth/callback?code=${'a'.repeat(5000)}&state=x`)
    expect(huge.status).toBe(400)
    const many = Array.from({ length: 40 }, (_, i) => `f${i}=1`).join('&')
    expect((await s.get(`/auth/callback?${many}`)).status).toBe(400)
    expect(s.jar.get('session')).toBeUndefined()
  })
})

import { Writable } from 'node:stream'
import { CLOSE_CODES } from '../../src/protocol/closeCodes.js'
import { describe, expect, it, onTestFinished } from 'vitest'
import { systemClock } from '../support/clock.js'
import { freePort, startOidcSetup } from '../support/oidcFixtures.js'
import {
  CookieJar,
  startTestProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
} from '../support/oidcTestProvider.js'
import { createCanvas } from '../support/fixtures.js'
import { fetchClient } from '../support/apiClient.js'
import { useTestSchema } from '../support/postgres.js'
import { startTestServer } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'

// [OIDC] Sign-in through a real OpenID provider (oidc-provider on 127.0.0.1, its own login page,
// scripted): first login, second login, returnTo, linking, the email-collision page, unlinking,
// logout, AUTH_PASSWORD_LOGIN=false. docs/auth.md.

async function register(origin: string, email: string, password = 'correct horse battery') {
  const res = await fetch(`${origin}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email, username: email.split('@')[0], password }),
  })
  const jar = new CookieJar()
  jar.store(res)
  return { status: res.status, jar, body: (await res.json()) as { user?: { id: string } } }
}

describe('[OIDC] sign-in with the provider', () => {
  it('[OIDC] when someone signs in for the first time then a password-less user is created from the claims, and the second time the same user signs in', async () => {
    const s = await startOidcSetup()
    s.idp.account('ada', { email: 'Ada@Example.test', email_verified: true, name: 'Ada Lovelace' })
    const first = await s.ssoLogin('ada')
    expect(first.status).toBe(302)
    expect(first.headers.get('location')).toBe('/')
    expect(first.headers.getSetCookie().join()).toMatch(/session=[A-Za-z0-9_-]{43}; .*HttpOnly.*SameSite=Lax/)
    const me = await s.whoAmI()
    expect(me).toMatchObject({ status: 200, user: { email: 'ada@example.test', username: 'Ada Lovelace' } })
    // No password: the password login answers as for an unknown email.
    const login = await fetch(`${s.server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.test', password: '' }),
    })
    expect(login.status).toBe(401)

    const again = new CookieJar()
    expect((await s.ssoLogin('ada', { jar: again, idpJar: new CookieJar() })).status).toBe(302)
    expect((await s.whoAmI(again)).user?.id).toBe(me.user?.id)
    const ids = await (await s.get('/api/identities')).json()
    expect(ids).toEqual({
      identities: [expect.objectContaining({ issuer: s.idp.issuer, email: 'ada@example.test' })],
      hasPassword: false,
    })
  })

  it('[OIDC] when two people share a display name then the second gets a numbered username', async () => {
    const s = await startOidcSetup()
    s.idp.account('one', { email: 'one@example.test', email_verified: true, name: 'Sam' })
    s.idp.account('two', { email: 'two@example.test', email_verified: true, name: 'Sam' })
    await s.ssoLogin('one')
    const jar = new CookieJar()
    await s.ssoLogin('two', { jar, idpJar: new CookieJar() })
    expect((await s.whoAmI(jar)).user?.username).toBe('Sam (2)')
  })

  it('[J2] when returnTo is a same-site path then the callback goes there, and when it is foreign then to /', async () => {
    const s = await startOidcSetup()
    s.idp.account('r', { email: 'r@example.test', email_verified: true })
    const same = await s.ssoLogin('r', { start: '/auth/login?returnTo=%2Fcanvas%2Fabc%3Fx%3D1' })
    expect(same.headers.get('location')).toBe('/canvas/abc?x=1')
    for (const foreign of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const res = await s.ssoLogin('r', {
        start: `/auth/login?returnTo=${encodeURIComponent(foreign)}`,
        jar: new CookieJar(),
      })
      expect(res.headers.get('location'), foreign).toBe('/')
    }
    const tooLong = await s.get(`/auth/login?returnTo=/${'a'.repeat(3000)}`)
    expect(tooLong.status).toBe(400)
  })

  it('[OIDC] when the provider does not vouch for the email then no account is created', async () => {
    const s = await startOidcSetup()
    s.idp.account('unverified', { email: 'u@example.test', email_verified: false })
    s.idp.account('noemail', { name: 'No Email' })
    for (const login of ['unverified', 'noemail']) {
      const jar = new CookieJar()
      const res = await s.ssoLogin(login, { jar, idpJar: new CookieJar() })
      expect(res.headers.get('location')).toBe('/signin?sso_error=email_unverified')
      expect(jar.get('session')).toBeUndefined()
    }
    expect(await s.server.deps.store.findUserByEmail('u@example.test')).toBeUndefined()
  })
})

describe('[OIDC] account linking', () => {
  it('[OIDC] when the provider email matches a password account then nothing is linked, the collision page explains, and after signing in with the password the owner links it', async () => {
    const s = await startOidcSetup()
    const owner = await register(s.server.baseUrl, 'owner@example.test')
    expect(owner.status).toBe(201)
    // An attacker's (or the owner's) provider account claiming the same, verified, email.
    s.idp.account('claims-owner', { email: 'OWNER@example.test', email_verified: true })
    const attempt = await s.ssoLogin('claims-owner')
    expect(attempt.headers.get('location')).toBe('/signin?sso_error=email_in_use')
    expect(s.jar.get('session')).toBeUndefined()
    expect(await s.server.deps.identities.listForUser(owner.body.user?.id ?? '')).toEqual([])

    // The owner, signed in with the password, links it.
    const linked = await s.ssoLogin('claims-owner', { start: '/auth/link', jar: owner.jar })
    expect(linked.status).toBe(302)
    expect(linked.headers.get('location')).toBe('/account')
    const ids = (await (await s.get('/api/identities', owner.jar)).json()) as { identities: unknown[] }
    expect(ids).toMatchObject({ identities: [{ issuer: s.idp.issuer }], hasPassword: true })
    // From now on the provider login is the owner's.
    const jar = new CookieJar()
    await s.ssoLogin('claims-owner', { jar, idpJar: new CookieJar() })
    expect((await s.whoAmI(jar)).user?.id).toBe(owner.body.user?.id)
  })

  it('[OIDC] when an identity another account holds is linked then it is refused and stays theirs', async () => {
    const s = await startOidcSetup()
    s.idp.account('taken', { email: 'taken@example.test', email_verified: true })
    await s.ssoLogin('taken')
    const holder = await s.whoAmI()
    const other = await register(s.server.baseUrl, 'other@example.test')
    const res = await s.ssoLogin('taken', { start: '/auth/link', jar: other.jar })
    expect(res.headers.get('location')).toBe('/account?sso_error=identity_taken')
    const identity = await s.server.deps.identities.find(s.idp.issuer, 'taken')
    expect(identity?.userId).toBe(holder.user?.id)
  })

  it('[OIDC] when /auth/link is asked without a session then 401, and a link finished in another session is refused', async () => {
    const s = await startOidcSetup()
    const anon = await s.get('/auth/link')
    expect(anon.status).toBe(401)
    const a = await register(s.server.baseUrl, 'a@example.test')
    const b = await register(s.server.baseUrl, 'b@example.test')
    s.idp.account('x', { email: 'x@example.test', email_verified: true })
    // a starts the link; its callback arrives with b's session (and a's transaction cookie).
    const callback = await s.authorize('x', { start: '/auth/link', jar: a.jar })
    const mixed = new CookieJar()
    mixed.set('oidc_tx', a.jar.get('oidc_tx') ?? '')
    mixed.set('session', b.jar.get('session') ?? '')
    const res = await s.get(new URL(callback).pathname + new URL(callback).search, mixed)
    expect(res.headers.get('location')).toBe('/account?sso_error=failed')
    expect(await s.server.deps.identities.find(s.idp.issuer, 'x')).toBeUndefined()
  })

  it('[ID3] when the only identity of a password-less account is unlinked then 409; with a second one linked, 204', async () => {
    const s = await startOidcSetup()
    s.idp.account('solo', { email: 'solo@example.test', email_verified: true })
    s.idp.account('solo-work', { email: 'solo@work.example.test', email_verified: true })
    await s.ssoLogin('solo')
    const list = async () =>
      ((await (await s.get('/api/identities')).json()) as { identities: { id: string }[] }).identities
    const [only] = await list()
    const del = (id: string, jar = s.jar) =>
      fetch(`${s.server.baseUrl}/api/identities/${id}`, {
        method: 'DELETE',
        headers: { cookie: jar.header(), origin: s.server.baseUrl },
      })
    const refused = await del(only?.id ?? '')
    expect(refused.status).toBe(409)
    expect(await refused.json()).toMatchObject({ error: { code: 'conflict' } })

    await s.ssoLogin('solo-work', { start: '/auth/link', idpJar: new CookieJar() })
    expect(await list()).toHaveLength(2)
    expect((await del(only?.id ?? '')).status).toBe(204)
    expect(await list()).toHaveLength(1)
    // Someone else's identity, or none: 404, unchanged.
    const stranger = await register(s.server.baseUrl, 'stranger@example.test')
    const [remaining] = await list()
    expect((await del(remaining?.id ?? '', stranger.jar)).status).toBe(404)
    expect((await del('x'.repeat(65), stranger.jar)).status).toBe(400)
    expect(await list()).toHaveLength(1)
  })
})

describe('[OIDC] logout and configuration', () => {
  it('[OIDC] when the user logs out then the session is dead and the browser goes to the provider\u2019s end-session endpoint', async () => {
    const s = await startOidcSetup()
    s.idp.account('bye', { email: 'bye@example.test', email_verified: true })
    await s.ssoLogin('bye')
    const token = s.jar.get('session') ?? ''
    const me = await s.whoAmI()
    const canvas = await createCanvas(fetchClient(s.server.baseUrl), {
      id: me.user?.id ?? '',
      email: 'bye@example.test',
      username: 'bye',
      password: '',
      token,
    })
    const socket = await WsTestClient.connect(s.server.baseUrl, canvas.id, { token })
    const res = await s.get('/auth/logout')
    expect(res.status).toBe(302)
    const to = new URL(res.headers.get('location') ?? '')
    expect(`${to.origin}${to.pathname}`).toBe(`${s.idp.issuer}/session/end`)
    expect(to.searchParams.get('post_logout_redirect_uri')).toBe(`${s.server.baseUrl}/signin`)
    expect(to.searchParams.get('client_id')).toBe('collabcanvas-test')
    expect(res.headers.getSetCookie().join()).toMatch(/session=;/)
    const after = await fetch(`${s.server.baseUrl}/api/session`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(after.status).toBe(401)
    // Its sockets end with it.
    expect((await socket.closed).code).toBe(CLOSE_CODES.unauthorized)
  })

  it('[OIDC] when the app stores accounts in PostgreSQL then first login, second login and linking work the same', async () => {
    const schema = await useTestSchema()
    const s = await startOidcSetup({ env: { DATABASE_URL: schema.url } })
    s.idp.account('pg', { email: 'pg@example.test', email_verified: true, name: 'Pat' })
    s.idp.account('pg-work', { email: 'pat@work.example.test', email_verified: true })
    await s.ssoLogin('pg')
    const first = await s.whoAmI()
    expect(first.user).toMatchObject({ email: 'pg@example.test', username: 'Pat' })
    const again = new CookieJar()
    await s.ssoLogin('pg', { jar: again, idpJar: new CookieJar() })
    expect((await s.whoAmI(again)).user?.id).toBe(first.user?.id)
    await s.ssoLogin('pg-work', { start: '/auth/link', idpJar: new CookieJar() })
    const ids = (await (await s.get('/api/identities')).json()) as { identities: unknown[] }
    expect(ids.identities).toHaveLength(2)
  })

  it('[OIDC] when AUTH_PASSWORD_LOGIN=false then registration and password login are refused, SSO creates users, and a password no longer counts for unlinking', async () => {
    const s = await startOidcSetup({ env: { AUTH_PASSWORD_LOGIN: 'false' } })
    const reg = await register(s.server.baseUrl, 'pw@example.test')
    expect(reg.status).toBe(403)
    const login = await fetch(`${s.server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pw@example.test', password: 'whatever it is' }),
    })
    expect(login.status).toBe(403)
    expect(await (await s.get('/api/auth/providers')).json()).toEqual({
      sso: { name: 'Test IdP' },
      passwordLogin: false,
    })
    s.idp.account('nopw', { email: 'nopw@example.test', email_verified: true })
    await s.ssoLogin('nopw')
    expect((await s.whoAmI()).status).toBe(200)
    // A password account from before the switch: its password does not count as a way in.
    const old = await s.server.deps.store.createUser({
      email: 'old@example.test',
      username: 'old',
      passwordHash: 'h',
    })
    const identity = await s.server.deps.identities.link(old.id, {
      issuer: s.idp.issuer,
      subject: 'old',
      email: null,
    })
    expect(await s.server.deps.identities.unlink(old.id, identity.id, { passwordCounts: false })).toBe(
      'last_sign_in',
    )
  })

  it('[OIDC] when OIDC is not configured then the /auth/ routes answer 404 and the providers say so', async () => {
    const server = await startTestServer()
    try {
      for (const path of ['/auth/login', '/auth/callback?code=x&state=y', '/auth/logout']) {
        const res = await fetch(`${server.baseUrl}${path}`, { redirect: 'manual' })
        expect(res.status, path).toBe(404)
      }
      const providers = await fetch(`${server.baseUrl}/api/auth/providers`)
      expect(await providers.json()).toEqual({ sso: null, passwordLogin: true })
    } finally {
      await server.close()
    }
  })

  it('[OIDC] when the provider cannot be reached at start then the error is logged, password login works, SSO says unavailable, and discovery succeeds once it is up', async () => {
    const idpPort = await freePort()
    const appPort = await freePort()
    const lines: string[] = []
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const server = await startTestServer({
      clock: systemClock(),
      logDestination,
      oidc: { discoveryRetryMs: [50] },
      env: {
        PORT: String(appPort),
        PUBLIC_URL: `http://127.0.0.1:${appPort}`,
        OIDC_ISSUER_URL: `http://127.0.0.1:${idpPort}`,
        OIDC_CLIENT_ID: TEST_CLIENT_ID,
        OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
      },
    })
    onTestFinished(() => server.close())
    await server.deps.oidc?.client.start()
    expect(lines.join('')).toContain(`OpenID Connect discovery from http://127.0.0.1:${idpPort} failed`)
    expect((await register(server.baseUrl, 'still@example.test')).status).toBe(201)
    const early = await fetch(`${server.baseUrl}/auth/login`, { redirect: 'manual' })
    expect(early.headers.get('location')).toBe('/signin?sso_error=unavailable')

    const idp = await startTestProvider(idpPort)
    onTestFinished(() => idp.stop())
    await expect
      .poll(async () => {
        const res = await fetch(`${server.baseUrl}/auth/login`, { redirect: 'manual' })
        return res.headers.get('location')?.startsWith(`${idp.issuer}/auth?`) ?? false
      })
      .toBe(true)
  })
})

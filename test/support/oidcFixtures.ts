import { createServer } from 'node:net'
import * as client from 'openid-client'
import { onTestFinished } from 'vitest'
import { systemClock } from './clock.js'
import {
  API_CLIENT_ID,
  API_CLIENT_REDIRECT,
  API_CLIENT_SECRET,
  CookieJar,
  scriptedLogin,
  startTestProvider,
  TEST_AUDIENCE,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestProvider,
} from './oidcTestProvider.js'
import { startTestServer, type TestServer, type TestServerOptions } from './startTestServer.js'

/** A free loopback port: the app's PUBLIC_URL (and so its redirect URI) must be known before it listens. */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface OidcSetup {
  server: TestServer
  idp: TestProvider
  /** The browser's cookies for our app. */
  jar: CookieJar
  /** The browser's cookies for the provider (its session: a second login there is single sign-on). */
  idpJar: CookieJar
  /** GET on our app as the browser (cookies from `jar`), redirects not followed. */
  get(path: string, jar?: CookieJar): Promise<Response>
  /** /auth/login (or `start`) → the provider's login page as `login` → /auth/callback; the callback's response. */
  ssoLogin(
    login: string,
    options?: { start?: string; jar?: CookieJar; idpJar?: CookieJar },
  ): Promise<Response>
  /** Up to the provider's redirect to our callback: that URL, not yet visited. */
  authorize(login: string, options?: { start?: string; jar?: CookieJar; idpJar?: CookieJar }): Promise<string>
  /** The signed-in user of `jar`'s session, or the status. */
  whoAmI(jar?: CookieJar): Promise<{ status: number; user?: { id: string; email: string; username: string } }>
  /** An access token for TEST_AUDIENCE from the provider, for `login` (an API client's code flow). */
  accessToken(login: string): Promise<{ accessToken: string; idToken: string }>
}

/** The provider and our app configured for it (PostgreSQL with `env.DATABASE_URL`); both stop when the test ends. */
export async function startOidcSetup(
  options: { env?: Record<string, string>; server?: TestServerOptions; idp?: TestProvider } = {},
): Promise<OidcSetup> {
  const idp = options.idp ?? (await startTestProvider())
  if (!options.idp) onTestFinished(() => idp.stop().catch(() => undefined))
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  idp.allowApp(origin)
  const server = await startTestServer({
    clock: systemClock(),
    ...options.server,
    env: {
      PORT: String(port),
      PUBLIC_URL: origin,
      OIDC_ISSUER_URL: idp.issuer,
      OIDC_CLIENT_ID: TEST_CLIENT_ID,
      OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
      OIDC_AUDIENCE: TEST_AUDIENCE,
      OIDC_PROVIDER_NAME: 'Test IdP',
      ...options.env,
    },
  })
  onTestFinished(() => server.close())
  await server.deps.oidc?.client.start()
  const jar = new CookieJar()
  const idpJar = new CookieJar()

  const get = async (path: string, j = jar) => {
    const res = await fetch(`${origin}${path}`, { redirect: 'manual', headers: { cookie: j.header() } })
    j.store(res)
    return res
  }
  const authorize: OidcSetup['authorize'] = async (login, o = {}) => {
    const start = await get(o.start ?? '/auth/login', o.jar ?? jar)
    const location = start.headers.get('location')
    if (start.status !== 302 || location === null) throw new Error(`login did not redirect: ${start.status}`)
    return scriptedLogin(location, login, o.idpJar ?? idpJar)
  }
  const ssoLogin: OidcSetup['ssoLogin'] = async (login, o = {}) => {
    const callback = await authorize(login, o)
    return get(new URL(callback).pathname + new URL(callback).search, o.jar ?? jar)
  }
  const whoAmI: OidcSetup['whoAmI'] = async (j = jar) => {
    const res = await get('/api/session', j)
    const body = (await res.json()) as { user?: { id: string; email: string; username: string } }
    return { status: res.status, ...(body.user ? { user: body.user } : {}) }
  }
  const accessToken: OidcSetup['accessToken'] = async (login) => {
    const config = await client.discovery(new URL(idp.issuer), API_CLIENT_ID, API_CLIENT_SECRET, undefined, {
      execute: [client.allowInsecureRequests],
    })
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: API_CLIENT_REDIRECT,
      scope: 'openid email profile api',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      resource: TEST_AUDIENCE,
      state,
    })
    const callback = await scriptedLogin(url.href, login, new CookieJar())
    const tokens = await client.authorizationCodeGrant(
      config,
      new URL(callback),
      { pkceCodeVerifier: verifier, expectedState: state },
      { resource: TEST_AUDIENCE },
    )
    if (tokens.id_token === undefined) throw new Error('no ID token')
    return { accessToken: tokens.access_token, idToken: tokens.id_token }
  }
  return { server, idp, jar, idpJar, get, ssoLogin, authorize, whoAmI, accessToken }
}

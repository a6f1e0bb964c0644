import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type KoaContextWithOIDC } from 'oidc-provider'

/**
 * A real OpenID provider (the `oidc-provider` package) on 127.0.0.1, for tests of our OIDC login:
 * discovery, the authorization endpoint with its own login page (oidc-provider's development
 * interactions: "Enter any login"), tokens, JWKS, end-session. Consent is given automatically.
 *
 * `scriptedLogin` plays the browser: it follows the provider's redirects and submits its login
 * form with a login id registered by `account`, and returns the redirect to our callback.
 */

export const TEST_AUDIENCE = 'https://api.collabcanvas.test'
export const TEST_CLIENT_ID = 'collabcanvas-test'
export const TEST_CLIENT_SECRET = 'collabcanvas-test-secret-0123456789abcdef'
/** A second client of the provider, standing for an API client that calls us with access tokens. */
export const API_CLIENT_ID = 'api-client'
export const API_CLIENT_SECRET = 'api-client-secret-0123456789abcdef'
export const API_CLIENT_REDIRECT = 'http://127.0.0.1:9/api-client/callback'

export interface TestAccountClaims {
  email?: string
  email_verified?: boolean
  name?: string
  picture?: string
}

export interface TestProvider {
  issuer: string
  /** Registers (or replaces) the account a login id signs in as; its `sub` is the login id. */
  account(login: string, claims: TestAccountClaims): void
  /** Allows our app's redirect URIs (its PUBLIC_URL is known only once it listens). */
  allowApp(appOrigin: string): void
  /** Requests served, by path (e.g. how often the JWKS was fetched). */
  hits(path: string): number
  provider: Provider
  /** The provider's signing key and its `kid`: tests sign tokens with wrong claims but the real key. */
  signingKey: KeyObject
  signingKid: string
  publicPem: string
  stop(): Promise<void>
  /** Listens again on the same port after `stop` (the provider came back). */
  restart(): Promise<void>
}

/** `port`: listen there (a provider that comes up after our app started); default any free port. */
export async function startTestProvider(port = 0): Promise<TestProvider> {
  const accounts = new Map<string, TestAccountClaims>()
  const hits = new Map<string, number>()
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signingKid = `test-${randomUUID().slice(0, 8)}`
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: signingKid, alg: 'RS256', use: 'sig' }

  let server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const redirectUris = new Set<string>([API_CLIENT_REDIRECT])
  const logoutUris = new Set<string>()

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: TEST_CLIENT_SECRET,
        redirect_uris: ['http://127.0.0.1:9/placeholder'],
        post_logout_redirect_uris: ['http://127.0.0.1:9/placeholder'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: API_CLIENT_ID,
        client_secret: API_CLIENT_SECRET,
        redirect_uris: [API_CLIENT_REDIRECT],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-provider-cookie-key'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    findAccount: (_ctx, id) => {
      const claims = accounts.get(id)
      if (!claims) return undefined
      return { accountId: id, claims: () => ({ sub: id, ...claims }) }
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => TEST_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: TEST_AUDIENCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Consent is not what these tests are about: every client gets what it asks for.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session, provider: p } = ctx.oidc
      if (!client || !session?.accountId) return undefined
      const grant = new p.Grant({ clientId: client.clientId, accountId: session.accountId })
      grant.addOIDCScope('openid email profile')
      grant.addResourceScope(TEST_AUDIENCE, 'api')
      await grant.save()
      return grant
    },
    ttl: {
      AccessToken: 600,
      Session: 3600,
      Interaction: 600,
      Grant: 3600,
      AuthorizationCode: 60,
      IdToken: 600,
    },
  })
  provider.on('server_error', (_ctx, err) => {
    process.stderr.write(`test provider error: ${String(err)}\n`)
  })
  // Redirect URIs of our app are added as soon as its port is known.
  const patchClient = async () => {
    const client = await provider.Client.find(TEST_CLIENT_ID)
    if (!client) return
    Object.assign(client, {
      redirectUris: ['http://127.0.0.1:9/placeholder', ...redirectUris],
      postLogoutRedirectUris: ['http://127.0.0.1:9/placeholder', ...logoutUris],
    })
  }
  const callback = provider.callback()
  const onRequest = (req: Parameters<typeof callback>[0], res: Parameters<typeof callback>[1]) => {
    const path = new URL(req.url ?? '/', issuer).pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    void patchClient().then(() => callback(req, res))
  }
  server.on('request', onRequest)

  return {
    issuer,
    provider,
    signingKey: privateKey,
    signingKid,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    account: (login, claims) => accounts.set(login, claims),
    allowApp: (origin) => {
      redirectUris.add(`${origin}/auth/callback`)
      logoutUris.add(`${origin}/`)
      logoutUris.add(`${origin}/signin`)
    },
    hits: (path) => hits.get(path) ?? 0,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((err) => (err ? reject(err) : resolve()))
      }),
    restart: async () => {
      server = createServer(onRequest)
      await new Promise<void>((resolve) => server.listen(Number(new URL(issuer).port), '127.0.0.1', resolve))
    },
  }
}

/** A cookie jar for one origin: enough for the provider's session and interaction cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, string>()

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value)
  }

  delete(name: string): void {
    this.cookies.delete(name)
  }
}

/**
 * Plays a browser at the provider: from the authorization URL, follows redirects and submits the
 * login form as `login`, until the provider redirects outside itself; returns that URL (our
 * callback with `code` and `state`, or with `error`). `jar` keeps the provider's cookies, so a
 * second call with it finds the provider's session (single sign-on).
 */
export async function scriptedLogin(
  authorizationUrl: string,
  login: string,
  jar = new CookieJar(),
): Promise<string> {
  let url = authorizationUrl
  let body: URLSearchParams | undefined
  const origin = new URL(authorizationUrl).origin
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
    })
    jar.store(response)
    body = undefined
    const location = response.headers.get('location')
    if (location !== null) {
      const next = new URL(location, url)
      if (next.origin !== origin) return next.toString()
      url = next.toString()
      continue
    }
    const html = await response.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1]
    if (action === undefined || prompt === undefined) {
      throw new Error(`test provider: unexpected page at ${url} (${response.status}): ${html.slice(0, 300)}`)
    }
    url = new URL(action.replace(/&amp;/g, '&'), url).toString()
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt })
  }
  throw new Error('test provider: too many steps')
}

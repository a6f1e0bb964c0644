import type { FastifyBaseLogger } from 'fastify'
import * as client from 'openid-client'

export interface OidcClientSettings {
  issuerUrl: string
  clientId: string
  clientSecret: string | undefined
  redirectUrl: string
  publicUrl: string
}

/** After a failed discovery, the waits before each retry; the last one repeats. */
export const DISCOVERY_RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000] as const
/** Seconds: every request to the provider (discovery, token) gives up after it. */
const PROVIDER_TIMEOUT_SEC = 5

export interface AuthorizationRequest {
  state: string
  nonce: string
  codeChallenge: string
}

/** The checks of one callback, from the transaction cookie [J2]. */
export interface CallbackChecks {
  state: string
  nonce: string
  codeVerifier: string
}

/** The ID token's claims our accounts use. */
export interface IdTokenClaims {
  issuer: string
  subject: string
  email: string | undefined
  emailVerified: boolean
  name: string | undefined
  nickname: string | undefined
}

/** Only `http://` on loopback (a local provider in development and tests); else HTTPS only. */
function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
}

/**
 * The relying party, on openid-client: discovery, the authorization URL (code flow, PKCE S256),
 * the code exchange with every check the library makes (state, `iss` in the response, the ID
 * token's signature, issuer, audience, expiry and nonce), and the logout URL.
 *
 * Discovery runs at start. When the provider cannot be reached, password login is unaffected:
 * the error is logged once per attempt, and discovery is retried in the background until it
 * works; meanwhile SSO requests are answered with "unavailable".
 */
export class OidcClient {
  private configuration: client.Configuration | undefined
  private attempt = 0
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private discovering: Promise<void> | undefined

  constructor(
    private readonly settings: OidcClientSettings,
    private readonly logger: FastifyBaseLogger,
    private readonly retryMs: readonly number[] = DISCOVERY_RETRY_MS,
  ) {}

  /** Starts discovery (and its retries); resolves after the first attempt, whatever its outcome. */
  start(): Promise<void> {
    this.discovering ??= this.discover()
    return this.discovering
  }

  /** The discovered configuration, or undefined while the provider has not answered yet. */
  get config(): client.Configuration | undefined {
    return this.configuration
  }

  /** The issuer as the provider names it (Auth0's ends with a slash): identities are keyed by it. */
  get issuer(): string | undefined {
    return this.configuration?.serverMetadata().issuer
  }

  get jwksUri(): string | undefined {
    return this.configuration?.serverMetadata().jwks_uri
  }

  private async discover(): Promise<void> {
    const issuer = new URL(this.settings.issuerUrl)
    try {
      this.configuration = await client.discovery(
        issuer,
        this.settings.clientId,
        this.settings.clientSecret,
        undefined,
        {
          timeout: PROVIDER_TIMEOUT_SEC,
          ...(isLoopbackHttp(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      this.logger.info({ issuer: this.issuer }, 'OpenID Connect provider discovered')
    } catch (err) {
      const delay = this.retryMs[Math.min(this.attempt, this.retryMs.length - 1)] ?? 60_000
      this.attempt += 1
      this.logger.error(
        { err, issuer: this.settings.issuerUrl, retryInMs: delay },
        `OpenID Connect discovery from ${this.settings.issuerUrl} failed; SSO is unavailable until it succeeds (password login is unaffected)`,
      )
      if (this.closed) return
      this.timer = setTimeout(() => {
        this.discovering = this.discover()
      }, delay)
      this.timer.unref()
    }
  }

  authorizationUrl(request: AuthorizationRequest, configuration: client.Configuration): URL {
    return client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUrl,
      scope: 'openid email profile',
      state: request.state,
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    })
  }

  /**
   * Redeems the code in `callbackUrl` (the whole URL, so the library checks `state` and, where
   * the provider sends one, `iss`) and returns the verified ID token's claims. Throws on any
   * mismatch or provider error.
   */
  async exchange(
    callbackUrl: URL,
    checks: CallbackChecks,
    configuration: client.Configuration,
  ): Promise<IdTokenClaims> {
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    })
    const claims = tokens.claims()
    if (!claims) throw new Error('the token response has no ID token')
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: str(claims.email),
      // Some providers send the string "true".
      emailVerified: claims.email_verified === true || claims.email_verified === 'true',
      name: str(claims.name),
      nickname: str(claims.nickname) ?? str(claims.preferred_username),
    }
  }

  /**
   * Where to send the browser to end the provider's session too: its end_session_endpoint
   * (RP-Initiated Logout), Auth0's /v2/logout when the issuer is Auth0 and does not advertise
   * one, or nowhere (undefined) when the provider has neither.
   */
  endSessionUrl(): URL | undefined {
    const configuration = this.configuration
    if (!configuration) return undefined
    const back = `${this.settings.publicUrl}/signin`
    const metadata = configuration.serverMetadata()
    if (metadata.end_session_endpoint !== undefined) {
      return client.buildEndSessionUrl(configuration, {
        client_id: this.settings.clientId,
        post_logout_redirect_uri: back,
      })
    }
    const issuer = new URL(metadata.issuer)
    if (issuer.hostname.endsWith('.auth0.com')) {
      const url = new URL('/v2/logout', issuer)
      url.searchParams.set('client_id', this.settings.clientId)
      url.searchParams.set('returnTo', back)
      return url
    }
    return undefined
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
  }
}

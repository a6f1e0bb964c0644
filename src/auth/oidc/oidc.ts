import type { FastifyBaseLogger } from 'fastify'
import { createHmac, randomBytes } from 'node:crypto'
import type { CanvasStore } from '../../store/canvasStore.js'
import type { IdentityStore } from '../../store/identityStore.js'
import { AccessTokens } from './accessTokens.js'
import { JwksCache } from './jwksCache.js'
import { OidcClient, type OidcClientSettings } from './oidcClient.js'
import { TransactionSealer } from './transactionCookie.js'

export interface OidcSettings extends OidcClientSettings {
  audience: string | undefined
  providerName: string
}

/** Everything OpenID Connect, built only when OIDC_ISSUER_URL is set (docs/auth.md). */
export interface Oidc {
  settings: Readonly<OidcSettings>
  client: OidcClient
  transactions: TransactionSealer
  /** Set when OIDC_AUDIENCE is: Bearer access tokens are accepted then. */
  accessTokens: AccessTokens | undefined
  jwks: JwksCache
  close(): void
}

/**
 * The transaction cookie's key. With a client secret, derived from it, so every instance behind
 * a load balancer accepts the callback of a login another instance started; a public client
 * (no secret) gets a random key per process (then use sticky sessions, or set a secret).
 */
function transactionKey(clientSecret: string | undefined): Buffer {
  if (clientSecret === undefined) return randomBytes(32)
  return createHmac('sha256', clientSecret).update('collabcanvas oidc transaction cookie v1').digest()
}

export function createOidc(
  settings: OidcSettings,
  deps: {
    logger: FastifyBaseLogger
    now: () => number
    store: CanvasStore
    identities: IdentityStore
    discoveryRetryMs?: readonly number[]
    jwksCooldownMs?: number
    jwksMaxAgeMs?: number
  },
): Oidc {
  const client = new OidcClient(settings, deps.logger, deps.discoveryRetryMs)
  const jwks = new JwksCache(() => client.jwksUri, {
    now: deps.now,
    ...(deps.jwksCooldownMs === undefined ? {} : { cooldownMs: deps.jwksCooldownMs }),
    ...(deps.jwksMaxAgeMs === undefined ? {} : { maxAgeMs: deps.jwksMaxAgeMs }),
    onFetchError: (err) => deps.logger.warn({ err }, 'fetching the provider\u2019s signing keys failed'),
  })
  const accessTokens =
    settings.audience === undefined
      ? undefined
      : new AccessTokens({
          issuer: () => client.issuer,
          audience: settings.audience,
          getKey: jwks.getKey,
          identities: deps.identities,
          store: deps.store,
          now: deps.now,
        })
  void client.start()
  return {
    settings,
    client,
    transactions: new TransactionSealer(transactionKey(settings.clientSecret)),
    accessTokens,
    jwks,
    close: () => client.close(),
  }
}

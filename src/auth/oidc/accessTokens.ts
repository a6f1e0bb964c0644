import { createHash } from 'node:crypto'
import { jwtVerify, type JWTVerifyGetKey } from 'jose'
import type { CanvasStore } from '../../store/canvasStore.js'
import type { IdentityStore } from '../../store/identityStore.js'
import type { Authenticated } from '../accounts.js'

/** Asymmetric only: `none` and HMAC (an HS256 token "signed" with the public key) never verify [J1]. */
export const ACCESS_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]

/** Seconds of clock difference tolerated on `exp` and `nbf`. */
export const ACCESS_TOKEN_LEEWAY_SEC = 30

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const MAX_TOKEN_LENGTH = 8192

export interface AccessTokenOptions {
  /** The discovered issuer, exactly (Auth0's ends with a slash); undefined until discovery. */
  issuer: () => string | undefined
  audience: string
  getKey: JWTVerifyGetKey
  identities: IdentityStore
  store: CanvasStore
  now: () => number
}

/**
 * Bearer access tokens from the provider (OIDC_AUDIENCE set): a JWT signed by one of the
 * provider's keys, for our audience, from the discovered issuer, not expired; its subject must
 * be an identity someone linked, by signing in once through the browser. Anything else is
 * simply not a session (401) [J1].
 */
export class AccessTokens {
  constructor(private readonly options: AccessTokenOptions) {}

  static looksLikeJwt(token: string): boolean {
    return token.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(token)
  }

  async authenticate(token: string): Promise<Authenticated | undefined> {
    const issuer = this.options.issuer()
    if (issuer === undefined || !AccessTokens.looksLikeJwt(token)) return undefined
    let payload
    try {
      ;({ payload } = await jwtVerify(token, this.options.getKey, {
        issuer,
        audience: this.options.audience,
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        clockTolerance: ACCESS_TOKEN_LEEWAY_SEC,
        currentDate: new Date(this.options.now()),
        requiredClaims: ['sub', 'exp'],
      }))
    } catch {
      return undefined
    }
    // An ID token carries the nonce of its login; an access token never does. With an audience
    // equal to the client id, this is what still tells them apart.
    if (payload.nonce !== undefined || payload.sub === undefined || payload.exp === undefined)
      return undefined
    const identity = await this.options.identities.find(issuer, payload.sub)
    if (!identity) return undefined
    const user = await this.options.store.getUser(identity.userId)
    if (!user) return undefined
    return {
      user: { id: user.id, email: user.email, username: user.username },
      // Never a stored session: logout does not end it, its expiry does (sockets close then).
      sessionHash: `access-token:${createHash('sha256').update(token).digest('hex')}`,
      expiresAt: payload.exp * 1000,
    }
  }
}

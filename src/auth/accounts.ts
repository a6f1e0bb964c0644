import { AppError } from '../protocol/appError.js'
import type { CanvasStore, User } from '../store/canvasStore.js'
import { DeviceCookies } from './deviceCookies.js'
import { LoginThrottle, RegistrationThrottle } from './loginThrottle.js'
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js'
import { hashSessionToken, looksLikeSessionToken, newSessionToken } from './sessionTokens.js'

export interface PublicUser {
  id: string
  email: string
  username: string
}

export interface SignedIn {
  user: PublicUser
  /** The session token, given to the client once; the store keeps only its hash. */
  sessionId: string
  /** For the device cookie: loosens login throttling for this browser and account [A2]. */
  deviceToken: string
}

export interface Authenticated {
  user: PublicUser
  sessionHash: string
  /** Unix ms: long-lived connections end themselves then. */
  expiresAt: number
}

/** `origin`: ended by this instance, or on another one (told by the bus). */
export type SessionRevokedListener = (sessionHash: string, origin: 'here' | 'elsewhere') => void

export interface AccountsOptions {
  sessionTimeoutSec: number
  now: () => number
  throttle: LoginThrottle
  /** Per client address; unset: registration is not throttled. */
  registrationThrottle?: RegistrationThrottle
  /** Live sessions one user may hold; the oldest ones end beyond it [A3]. */
  maxSessionsPerUser?: number
  deviceCookies?: DeviceCookies
  /** false: AUTH_PASSWORD_LOGIN=false, registration and password login are refused (OIDC only). */
  passwordLogin?: boolean
  /** OpenID Connect access tokens (src/auth/oidc/accessTokens.ts), when OIDC_AUDIENCE is set. */
  accessTokens?: { authenticate(token: string): Promise<Authenticated | undefined> }
}

const toPublicUser = (u: User): PublicUser => ({ id: u.id, email: u.email, username: u.username })

/** Emails compare case-insensitively and without surrounding space. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

/** Accounts and login sessions: the one place that hashes passwords and session tokens. */
export class Accounts {
  private readonly revokedListeners = new Set<SessionRevokedListener>()
  private readonly deviceCookies: DeviceCookies

  constructor(
    private readonly store: CanvasStore,
    private readonly options: AccountsOptions,
  ) {
    this.deviceCookies = options.deviceCookies ?? new DeviceCookies()
  }

  /** `ip` is the client's address, for the per-address registration limit. */
  async register(
    input: { email: string; username: string; password: string },
    ip?: string,
  ): Promise<SignedIn> {
    this.requirePasswordLogin()
    const retryAfterSec = ip === undefined ? 0 : (this.options.registrationThrottle?.take(ip) ?? 0)
    if (retryAfterSec > 0) {
      throw new AppError('rate_limited', 'too many accounts registered from this address, try again later', {
        retryAfterSec,
      })
    }
    const user = await this.store.createUser({
      email: normaliseEmail(input.email),
      username: input.username.trim(),
      passwordHash: await hashPassword(input.password),
    })
    return this.startSession(toPublicUser(user))
  }

  /** `deviceToken` is the browser's device cookie, if it sent one [A2]. */
  async login(
    input: { email: string; password: string },
    ip: string,
    deviceToken?: string,
  ): Promise<SignedIn> {
    this.requirePasswordLogin()
    const email = normaliseEmail(input.email)
    const { throttle } = this.options
    const attempt = { email, ip, device: this.deviceCookies.verify(deviceToken, email) }
    // Checked before the password: a refusal must not reveal whether the guess was right.
    const retryAfterSec = throttle.retryAfterSec(attempt)
    if (retryAfterSec > 0) {
      throw new AppError('rate_limited', 'too many failed sign-in attempts, try again later', {
        retryAfterSec,
      })
    }
    const user = await this.store.findUserByEmail(email)
    // An account without a password (OpenID Connect only) answers like an unknown email.
    const ok =
      typeof user?.passwordHash === 'string'
        ? await verifyPassword(user.passwordHash, input.password)
        : await verifyAgainstDummy(input.password)
    if (!user || !ok) {
      throttle.recordFailure(attempt)
      // One answer for unknown email and wrong password [A2].
      throw new AppError('unauthorized', 'invalid email or password')
    }
    throttle.recordSuccess(attempt)
    return this.startSession(toPublicUser(user))
  }

  /** Deletes sessions past their expiry; the shell calls it periodically. Returns how many. */
  purgeExpiredSessions(): Promise<number> {
    return this.store.deleteExpiredSessions(this.options.now())
  }

  /** A session token, or (OIDC configured) a provider's access token. */
  async authenticate(sessionId: string): Promise<Authenticated | undefined> {
    if (!looksLikeSessionToken(sessionId)) return this.options.accessTokens?.authenticate(sessionId)
    const sessionHash = hashSessionToken(sessionId)
    const session = await this.store.findSession(sessionHash, this.options.now())
    if (!session) return undefined
    const user = await this.store.getUser(session.userId)
    return user && { user: toPublicUser(user), sessionHash, expiresAt: session.expiresAt }
  }

  async logout(sessionId: string): Promise<void> {
    if (!looksLikeSessionToken(sessionId)) return
    const sessionHash = hashSessionToken(sessionId)
    await this.store.deleteSession(sessionHash)
    this.notifyRevoked(sessionHash)
  }

  /** A session ended on another instance (logout there): this instance's sockets on it close too. */
  sessionEndedElsewhere(sessionHash: string): void {
    this.notifyRevoked(sessionHash, 'elsewhere')
  }

  /** Called when a session ends, so long-lived connections (WebSockets) can drop it too. */
  onSessionRevoked(listener: SessionRevokedListener): () => void {
    this.revokedListeners.add(listener)
    return () => this.revokedListeners.delete(listener)
  }

  /** A session for a user who proved who they are elsewhere (an OpenID Connect login). */
  signInAs(user: PublicUser): Promise<SignedIn> {
    return this.startSession(user)
  }

  private async startSession(user: PublicUser): Promise<SignedIn> {
    const sessionId = newSessionToken()
    const now = this.options.now()
    await this.store.createSession({
      tokenHash: hashSessionToken(sessionId),
      userId: user.id,
      expiresAt: now + this.options.sessionTimeoutSec * 1000,
    })
    const cap = this.options.maxSessionsPerUser
    if (cap !== undefined) {
      // The oldest sessions end, and their sockets with them, like a logout.
      const ended = await this.store.deleteSessionsBeyond(user.id, cap, now)
      for (const sessionHash of ended) this.notifyRevoked(sessionHash)
    }
    return { user, sessionId, deviceToken: this.deviceCookies.issue(user.email) }
  }

  private requirePasswordLogin(): void {
    if (this.options.passwordLogin === false) {
      throw new AppError('forbidden', 'password sign-in is turned off here: sign in with single sign-on')
    }
  }

  private notifyRevoked(sessionHash: string, origin: 'here' | 'elsewhere' = 'here'): void {
    for (const listener of this.revokedListeners) listener(sessionHash, origin)
  }
}

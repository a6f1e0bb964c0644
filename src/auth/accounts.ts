import { AppError } from '../protocol/appError.js'
import type { CanvasStore, User } from '../store/canvasStore.js'
import { LoginThrottle } from './loginThrottle.js'
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
}

export interface Authenticated {
  user: PublicUser
  sessionHash: string
  /** Unix ms: long-lived connections end themselves then. */
  expiresAt: number
}

export type SessionRevokedListener = (sessionHash: string) => void

const toPublicUser = (u: User): PublicUser => ({ id: u.id, email: u.email, username: u.username })

/** Emails compare case-insensitively and without surrounding space. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

/** Accounts and login sessions: the one place that hashes passwords and session tokens. */
export class Accounts {
  private readonly revokedListeners = new Set<SessionRevokedListener>()

  constructor(
    private readonly store: CanvasStore,
    private readonly options: { sessionTimeoutSec: number; now: () => number; throttle: LoginThrottle },
  ) {}

  async register(input: { email: string; username: string; password: string }): Promise<SignedIn> {
    const user = await this.store.createUser({
      email: normaliseEmail(input.email),
      username: input.username.trim(),
      passwordHash: await hashPassword(input.password),
    })
    return this.startSession(toPublicUser(user))
  }

  async login(input: { email: string; password: string }, ip: string): Promise<SignedIn> {
    const email = normaliseEmail(input.email)
    const { throttle } = this.options
    const retryAfterSec = throttle.retryAfterSec(email, ip)
    if (retryAfterSec > 0) {
      throw new AppError('rate_limited', 'too many failed sign-in attempts, try again later', {
        retryAfterSec,
      })
    }
    const user = await this.store.findUserByEmail(email)
    const ok = user
      ? await verifyPassword(user.passwordHash, input.password)
      : await verifyAgainstDummy(input.password)
    if (!user || !ok) {
      throttle.recordFailure(email, ip)
      // One answer for unknown email and wrong password [A2].
      throw new AppError('unauthorized', 'invalid email or password')
    }
    throttle.recordSuccess(email, ip)
    return this.startSession(toPublicUser(user))
  }

  async authenticate(sessionId: string): Promise<Authenticated | undefined> {
    if (!looksLikeSessionToken(sessionId)) return undefined
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
    for (const listener of this.revokedListeners) listener(sessionHash)
  }

  /** Called when a session ends, so long-lived connections (WebSockets) can drop it too. */
  onSessionRevoked(listener: SessionRevokedListener): () => void {
    this.revokedListeners.add(listener)
    return () => this.revokedListeners.delete(listener)
  }

  private async startSession(user: PublicUser): Promise<SignedIn> {
    const sessionId = newSessionToken()
    await this.store.createSession({
      tokenHash: hashSessionToken(sessionId),
      userId: user.id,
      expiresAt: this.options.now() + this.options.sessionTimeoutSec * 1000,
    })
    return { user, sessionId }
  }
}

import { AppError } from '../../protocol/appError.js'
import type { CanvasStore } from '../../store/canvasStore.js'
import type { Identity, IdentityStore, UnlinkResult } from '../../store/identityStore.js'
import { normaliseEmail, type Accounts, type SignedIn } from '../accounts.js'
import type { IdTokenClaims } from './oidcClient.js'

/**
 * Why an SSO sign-in or link did not happen; the web app explains each (`?sso_error=`).
 * - email_in_use: the provider's email belongs to an account not linked to this identity. We
 *   never link by email: whoever controls a provider account with that email (a provider that
 *   does not verify emails, a recycled address) would take the account over. Its owner signs
 *   in the usual way and links from account settings.
 * - email_unverified: no account exists, and the provider did not vouch for the email, which
 *   would become the new account's (and receive its invitations).
 * - identity_taken: linking an identity another account holds.
 */
export type SsoRefusal = 'email_in_use' | 'email_unverified' | 'identity_taken'

export type SsoOutcome =
  | { kind: 'signed-in'; signedIn: SignedIn; created: boolean }
  | { kind: 'linked'; identity: Identity }
  | { kind: 'refused'; reason: SsoRefusal }

const USERNAME_MAX = 40

/** A display name from the claims that fits our usernames: visible characters, at most 40. */
export function usernameFromClaims(claims: Pick<IdTokenClaims, 'name' | 'nickname' | 'email'>): string {
  const candidates = [claims.name, claims.nickname, claims.email?.split('@')[0]]
  for (const candidate of candidates) {
    const cleaned = [
      ...(candidate ?? '')
        .normalize('NFC')
        .replace(/[\p{C}\p{Zl}\p{Zp}]/gu, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ]
      .slice(0, USERNAME_MAX)
      .join('')
      .trim()
    if (cleaned !== '') return cleaned
  }
  return 'user'
}

function withSuffix(base: string, n: number): string {
  const suffix = ` (${n})`
  return `${[...base].slice(0, USERNAME_MAX - suffix.length).join('')}${suffix}`
}

const isConflict = (err: unknown, field?: string) =>
  err instanceof AppError && err.code === 'conflict' && err.field === field

/** Accounts through an OpenID Connect provider: sign-in by identity, linking, unlinking. */
export class OidcSignIn {
  constructor(
    private readonly accounts: Accounts,
    private readonly store: CanvasStore,
    private readonly identities: IdentityStore,
    private readonly passwordLogin: boolean,
  ) {}

  /**
   * The identity's user gets a session. Without one, a user is created from the claims, unless
   * the email belongs to an account already (never linked by email) or is unverified.
   */
  async signIn(claims: IdTokenClaims): Promise<SsoOutcome> {
    const known = await this.identities.find(claims.issuer, claims.subject)
    if (known) {
      const user = await this.store.getUser(known.userId)
      if (!user) throw new AppError('not_found', 'user not found')
      const signedIn = await this.accounts.signInAs({
        id: user.id,
        email: user.email,
        username: user.username,
      })
      return { kind: 'signed-in', signedIn, created: false }
    }
    if (claims.email === undefined || !claims.emailVerified)
      return { kind: 'refused', reason: 'email_unverified' }
    const email = normaliseEmail(claims.email)
    if (await this.store.findUserByEmail(email)) return { kind: 'refused', reason: 'email_in_use' }
    const base = usernameFromClaims(claims)
    const identity = { issuer: claims.issuer, subject: claims.subject, email }
    for (let n = 1; n <= 50; n++) {
      try {
        const { user } = await this.identities.createUserWithIdentity(
          { email, username: n === 1 ? base : withSuffix(base, n) },
          identity,
        )
        const signedIn = await this.accounts.signInAs({
          id: user.id,
          email: user.email,
          username: user.username,
        })
        return { kind: 'signed-in', signedIn, created: true }
      } catch (err) {
        if (isConflict(err, 'body.username')) continue
        // The same person finishing two logins at once, or an account registered meanwhile.
        if (isConflict(err)) return this.signInAfterRace(claims)
        throw err
      }
    }
    throw new AppError('conflict', 'no free username could be made from the provider\u2019s name')
  }

  private async signInAfterRace(claims: IdTokenClaims): Promise<SsoOutcome> {
    const known = await this.identities.find(claims.issuer, claims.subject)
    return known ? this.signIn(claims) : { kind: 'refused', reason: 'email_in_use' }
  }

  /** Attaches the identity to `userId`, who proved both: a session with us and the provider login. */
  async link(userId: string, claims: IdTokenClaims): Promise<SsoOutcome> {
    const known = await this.identities.find(claims.issuer, claims.subject)
    if (known) {
      return known.userId === userId
        ? { kind: 'linked', identity: known }
        : { kind: 'refused', reason: 'identity_taken' }
    }
    try {
      const identity = await this.identities.link(userId, {
        issuer: claims.issuer,
        subject: claims.subject,
        email: claims.email === undefined ? null : normaliseEmail(claims.email),
      })
      return { kind: 'linked', identity }
    } catch (err) {
      if (isConflict(err)) return { kind: 'refused', reason: 'identity_taken' }
      throw err
    }
  }

  list(userId: string): Promise<Identity[]> {
    return this.identities.listForUser(userId)
  }

  /** A password counts as a way in only while password login is on [ID3]. */
  unlink(userId: string, identityId: string): Promise<UnlinkResult> {
    return this.identities.unlink(userId, identityId, { passwordCounts: this.passwordLogin })
  }

  async hasPassword(userId: string): Promise<boolean> {
    return this.passwordLogin && (await this.identities.hasPassword(userId))
  }
}

/**
 * Sign-in identities from an OpenID Connect provider: (issuer, subject) → user. One user may
 * hold several identities (several providers, or several accounts at one provider), and may
 * have no password at all (docs/auth.md).
 *
 * Guarantees every implementation keeps (test/contract/identityStore.contract.ts):
 * [ID1] an (issuer, subject) pair belongs to at most one user: linking a pair someone holds, the
 *       caller included, is `conflict`.
 * [ID2] creating a user with their first identity is all or nothing: a taken email, username
 *       (field `body.username`) or identity is `conflict` and leaves no row behind.
 * [ID3] unlinking never leaves a user without a way to sign in: the last identity of a user
 *       whose password does not count (none, or password login turned off) stays. The check and
 *       the delete are one transaction, so two concurrent unlinks cannot both pass it.
 * [ID4] a user's identities go with the user; users created with an identity have no password.
 */
import type { User } from './canvasStore.js'

export interface Identity {
  id: string
  userId: string
  issuer: string
  subject: string
  /** The email the provider reported when the identity was linked, shown in account settings. */
  email: string | null
  createdAt: string
}

export interface NewIdentity {
  issuer: string
  subject: string
  email: string | null
}

export type UnlinkResult = 'removed' | 'not_found' | 'last_sign_in'

export interface IdentityStore {
  find(issuer: string, subject: string): Promise<Identity | undefined>
  /** A new user without a password, holding `identity` [ID2]. */
  createUserWithIdentity(
    user: { email: string; username: string },
    identity: NewIdentity,
  ): Promise<{ user: User; identity: Identity }>
  /** Attaches `identity` to the user [ID1]. */
  link(userId: string, identity: NewIdentity): Promise<Identity>
  /** Oldest first. */
  listForUser(userId: string): Promise<Identity[]>
  /** `passwordCounts`: false when password login is turned off, so a password is no way in [ID3]. */
  unlink(userId: string, identityId: string, options: { passwordCounts: boolean }): Promise<UnlinkResult>
  hasPassword(userId: string): Promise<boolean>
}

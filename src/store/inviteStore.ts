/**
 * Invitations to a canvas: by email (addressed to whoever holds, or will register, that email)
 * and by link (a secret token anyone signed in may redeem until it is revoked or expires).
 *
 * Why invitations and not direct membership: adding a registered user at once let anyone push a
 * canvas into anyone's list, and answering "no account with that email" told strangers who is
 * registered. Now sharing by email answers the same either way and nothing reaches the invitee's
 * list until they accept it, or register with that email [SHARE1].
 *
 * Guarantees every implementation keeps (test/contract/inviteStore.contract.ts):
 * [INV1] one live email invitation per (canvas, email): inviting again updates its role and expiry.
 * [INV2] expired invitations are never returned nor accepted; revoked ones are gone.
 * [INV3] accepting makes the user a member with the invitation's role, never lowering a role they
 *        hold (an owner stays owner); an email invitation is used up, a link stays for others.
 * [INV4] accepting one past the canvas's member cap is `limit_exceeded` and changes nothing;
 *        more than `maxInvitesPerCanvas` live invitations is `limit_exceeded` too.
 * [INV5] an email invitation is accepted only by the user whose email it names.
 * [INV6] deleting a canvas deletes its invitations.
 */
import type { Invite, InvitationForMe as InviteForUser } from '../protocol/httpTypes.js'
import type { MemberRole, Role } from '../protocol/roles.js'

// The API's shapes are the store's: an invitation carries nothing secret (a link's token is
// stored only as its hash and never read back).
export type { Invite, InvitationForMe as InviteForUser } from '../protocol/httpTypes.js'

export interface EmailInviteInput {
  canvasId: string
  email: string
  role: MemberRole
  createdBy: string
  /** Unix ms, or null: never. */
  expiresAt: number | null
}

export interface LinkInviteInput extends Omit<EmailInviteInput, 'email'> {
  tokenHash: string
}

export interface Acceptance {
  canvasId: string
  /** The user's role on the canvas afterwards. */
  role: Role
}

export interface InviteLimits {
  /** Live invitations (email and link) of one canvas. */
  maxInvitesPerCanvas: number
  /** Members of one canvas besides its owner (the store's cap, [ST5]). */
  maxMembersPerCanvas: number
}

export interface InviteStore {
  /** Creates or renews the canvas's invitation for this email [INV1]. */
  inviteEmail(input: EmailInviteInput): Promise<Invite>
  /** A new link invitation, found later by the hash of its token only. */
  createLink(input: LinkInviteInput): Promise<Invite>
  /** The canvas's live invitations, oldest first. */
  listForCanvas(canvasId: string, now: number): Promise<Invite[]>
  /** Revokes one of the canvas's invitations; false when it has no such invitation. */
  revoke(canvasId: string, inviteId: string): Promise<boolean>
  /** Live email invitations addressed to this email, newest first. */
  listForEmail(email: string, now: number): Promise<InviteForUser[]>
  /** The live link invitation with this token hash, if any. */
  findLink(tokenHash: string, now: number): Promise<Invite | undefined>
  /** Accepts the email invitation `inviteId` for `user` [INV3][INV5]; undefined when there is none for them. */
  acceptEmail(
    inviteId: string,
    user: { id: string; email: string },
    now: number,
  ): Promise<Acceptance | undefined>
  /** Redeems a link invitation [INV3]; undefined when the link is unknown, revoked or expired. */
  acceptLink(tokenHash: string, userId: string, now: number): Promise<Acceptance | undefined>
  /** Accepts every live email invitation for a newly registered user's email. */
  acceptAllForEmail(user: { id: string; email: string }, now: number): Promise<Acceptance[]>
  /** Declines (deletes) an email invitation addressed to `email`; false when there is none. */
  decline(inviteId: string, email: string): Promise<boolean>
}

/** The stronger of two roles: accepting an invitation never lowers what a member holds [INV3]. */
export function strongerRole(held: Role | undefined, offered: MemberRole): Role {
  if (held === 'owner' || held === 'editor') return held
  return held === 'viewer' && offered === 'viewer' ? 'viewer' : offered
}

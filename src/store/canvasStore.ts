/**
 * Storage of accounts, sessions, canvases and members. One interface, one implementation per
 * database (SQLite now, PostgreSQL next), all checked by test/contract/canvasStore.contract.ts.
 *
 * Guarantees every implementation keeps:
 * [ST1] emails are unique (compared as stored: callers normalise them first); a duplicate is `conflict`.
 * [ST2] sessions are looked up by the hash of their token only; an expired session is never returned.
 * [ST3] a canvas is visible to its owner and its members only; deleting a canvas deletes its memberships.
 * [ST4] driver failures surface as AppError `storage_unavailable` (or `storage_full`), never raw driver errors.
 * [ST5] the caps in `StoreLimits` hold under concurrent writers: the count and the insert are one
 *       transaction; one past a cap is AppError `limit_exceeded` and nothing is written [I1].
 * [ST6] usernames are unique by `usernameKey` (case-insensitive, NFKC); a duplicate is `conflict`
 *       with field `body.username`.
 */
import type { MemberRole, Role } from '../protocol/roles.js'

export type { MemberRole, Role }

/** Resource caps of the store [ST5][I1] (docs/protocol.md "Limits"). */
export interface StoreLimits {
  /** Canvases one user may own; canvases shared with them do not count. */
  maxCanvasesPerOwner: number
  /** Members of one canvas besides its owner. */
  maxMembersPerCanvas: number
}

export const DEFAULT_STORE_LIMITS: Readonly<StoreLimits> = Object.freeze({
  maxCanvasesPerOwner: 1_000,
  maxMembersPerCanvas: 100,
})

/**
 * What two usernames must not share: NFKC folds look-alike forms (full-width letters,
 * ligatures), then letter case is ignored.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase()
}

export interface User {
  id: string
  email: string
  username: string
  createdAt: string
}

export interface UserWithPassword extends User {
  /** null: the account signs in through OpenID Connect only (src/store/identityStore.ts). */
  passwordHash: string | null
}

export interface SessionRecord {
  userId: string
  /** Unix milliseconds. */
  expiresAt: number
}

export interface Canvas {
  id: string
  name: string
  ownerId: string
  createdAt: string
  updatedAt: string
}

export interface CanvasForUser extends Canvas {
  role: Role
}

export interface Member {
  userId: string
  email: string
  username: string
  role: Role
}

export interface CanvasStore {
  /** Throws `storage_unavailable` when the database cannot answer. */
  ping(): Promise<void>

  createUser(input: { email: string; username: string; passwordHash: string }): Promise<User>
  findUserByEmail(email: string): Promise<UserWithPassword | undefined>
  getUser(id: string): Promise<User | undefined>

  createSession(input: { tokenHash: string; userId: string; expiresAt: number }): Promise<void>
  /** The live session with this token hash at `now` (unix ms), if any [ST2]. */
  findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined>
  deleteSession(tokenHash: string): Promise<void>
  deleteExpiredSessions(now: number): Promise<number>
  /** Ends the user's live sessions beyond the `keep` newest; returns the ended ones' token hashes. */
  deleteSessionsBeyond(userId: string, keep: number, now: number): Promise<string[]>

  /** `limit_exceeded` when the owner already owns `maxCanvasesPerOwner` [ST5]. */
  createCanvas(input: { name: string; ownerId: string }): Promise<CanvasForUser>
  listCanvases(userId: string): Promise<CanvasForUser[]>
  /** The canvas with the caller's role, or undefined when missing or not shared with them [ST3]. */
  getCanvasForUser(canvasId: string, userId: string): Promise<CanvasForUser | undefined>
  /** Whether a canvas exists at all, whoever may see it (the WebSocket tells 4403 from 4404). */
  canvasExists(canvasId: string): Promise<boolean>
  renameCanvas(canvasId: string, name: string): Promise<Canvas | undefined>
  deleteCanvas(canvasId: string): Promise<boolean>

  /** Owner first, then members by username. */
  listMembers(canvasId: string): Promise<Member[]>
  /** Adds the member or changes their role; adding one past `maxMembersPerCanvas` is `limit_exceeded` [ST5]. */
  upsertMember(canvasId: string, userId: string, role: MemberRole): Promise<'created' | 'updated'>
  removeMember(canvasId: string, userId: string): Promise<boolean>

  close(): Promise<void>
}

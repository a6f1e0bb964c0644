import { randomUUID } from 'node:crypto'
import { AppError } from '../../protocol/appError.js'
import type { MemberRole, Role } from '../../protocol/roles.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { guarded } from '../../sqlite/sqliteErrors.js'
import { DEFAULT_STORE_LIMITS } from '../canvasStore.js'
import {
  strongerRole,
  type Acceptance,
  type EmailInviteInput,
  type Invite,
  type InviteForUser,
  type InviteLimits,
  type InviteStore,
  type LinkInviteInput,
} from '../inviteStore.js'

interface InviteRow {
  id: string
  canvas_id: string
  email: string | null
  role: MemberRole
  created_by: string
  created_at: string
  expires_at: number | null
}

const INVITE_COLUMNS = 'id, canvas_id, email, role, created_by, created_at, expires_at'
// A NULL expiry never expires; `@now` is unix ms.
const LIVE = '(expires_at IS NULL OR expires_at > @now)'

const toInvite = (r: InviteRow): Invite => ({
  id: r.id,
  canvasId: r.canvas_id,
  kind: r.email === null ? 'link' : 'email',
  ...(r.email === null ? {} : { email: r.email }),
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
})

export const DEFAULT_INVITE_LIMITS: Readonly<InviteLimits> = Object.freeze({
  maxInvitesPerCanvas: 100,
  maxMembersPerCanvas: DEFAULT_STORE_LIMITS.maxMembersPerCanvas,
})

export class SqliteInviteStore implements InviteStore {
  private readonly statements

  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
    private readonly limits: Readonly<InviteLimits> = DEFAULT_INVITE_LIMITS,
  ) {
    this.statements = {
      liveCount: db
        .prepare(`SELECT COUNT(*) FROM canvas_invites WHERE canvas_id = @canvasId AND ${LIVE}`)
        .pluck(),
      emailInvite: db.prepare(
        `SELECT ${INVITE_COLUMNS} FROM canvas_invites WHERE canvas_id = ? AND email = ?`,
      ),
      insert: db.prepare(
        `INSERT INTO canvas_invites (id, canvas_id, email, token_hash, role, created_by, created_at, expires_at)
         VALUES (@id, @canvasId, @email, @tokenHash, @role, @createdBy, @createdAt, @expiresAt)`,
      ),
      renew: db.prepare(
        `UPDATE canvas_invites SET role = @role, created_by = @createdBy, created_at = @createdAt,
           expires_at = @expiresAt WHERE id = @id RETURNING ${INVITE_COLUMNS}`,
      ),
      listForCanvas: db.prepare(
        `SELECT ${INVITE_COLUMNS} FROM canvas_invites WHERE canvas_id = @canvasId AND ${LIVE}
         ORDER BY created_at, rowid`,
      ),
      revoke: db.prepare('DELETE FROM canvas_invites WHERE canvas_id = ? AND id = ?'),
      listForEmail: db.prepare(
        `SELECT i.id, i.role, i.created_at, i.expires_at, c.id AS canvas_id, c.name AS canvas_name,
                u.username AS invited_by
         FROM canvas_invites i JOIN canvases c ON c.id = i.canvas_id JOIN users u ON u.id = i.created_by
         WHERE i.email = @email AND (i.expires_at IS NULL OR i.expires_at > @now)
         ORDER BY i.created_at DESC, i.rowid DESC`,
      ),
      emailInviteById: db.prepare(
        `SELECT ${INVITE_COLUMNS} FROM canvas_invites WHERE id = @id AND email = @email AND ${LIVE}`,
      ),
      liveForEmail: db.prepare(
        `SELECT ${INVITE_COLUMNS} FROM canvas_invites WHERE email = @email AND ${LIVE}`,
      ),
      linkByHash: db.prepare(
        `SELECT ${INVITE_COLUMNS} FROM canvas_invites WHERE token_hash = @tokenHash AND ${LIVE}`,
      ),
      deleteById: db.prepare('DELETE FROM canvas_invites WHERE id = ?'),
      decline: db.prepare('DELETE FROM canvas_invites WHERE id = ? AND email = ?'),
      ownerOf: db.prepare('SELECT owner_id FROM canvases WHERE id = ?').pluck(),
      memberRole: db.prepare('SELECT role FROM canvas_members WHERE canvas_id = ? AND user_id = ?').pluck(),
      memberCount: db.prepare('SELECT COUNT(*) FROM canvas_members WHERE canvas_id = ?').pluck(),
      upsertMember: db.prepare(`
        INSERT INTO canvas_members (canvas_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (canvas_id, user_id) DO UPDATE SET role = excluded.role`),
    }
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString()
  }

  private checkInviteCap(canvasId: string): void {
    const { maxInvitesPerCanvas } = this.limits
    if ((this.statements.liveCount.get({ canvasId, now: this.now() }) as number) >= maxInvitesPerCanvas)
      throw new AppError(
        'limit_exceeded',
        `a canvas may have at most ${maxInvitesPerCanvas} open invitations`,
      )
  }

  inviteEmail(input: EmailInviteInput): Promise<Invite> {
    return guarded(() =>
      this.db
        .transaction(() => {
          const fields = { ...input, createdAt: this.isoNow() }
          const existing = this.statements.emailInvite.get(input.canvasId, input.email) as
            InviteRow | undefined
          if (existing)
            return toInvite(this.statements.renew.get({ ...fields, id: existing.id }) as InviteRow)
          this.checkInviteCap(input.canvasId)
          const id = randomUUID()
          this.statements.insert.run({ ...fields, id, tokenHash: null })
          return toInvite(this.statements.emailInvite.get(input.canvasId, input.email) as InviteRow)
        })
        .immediate(),
    )
  }

  createLink(input: LinkInviteInput): Promise<Invite> {
    return guarded(() =>
      this.db
        .transaction(() => {
          this.checkInviteCap(input.canvasId)
          const id = randomUUID()
          const createdAt = this.isoNow()
          this.statements.insert.run({ ...input, id, email: null, createdAt })
          return toInvite({
            id,
            canvas_id: input.canvasId,
            email: null,
            role: input.role,
            created_by: input.createdBy,
            created_at: createdAt,
            expires_at: input.expiresAt,
          })
        })
        .immediate(),
    )
  }

  listForCanvas(canvasId: string, now: number): Promise<Invite[]> {
    return guarded(() => (this.statements.listForCanvas.all({ canvasId, now }) as InviteRow[]).map(toInvite))
  }

  revoke(canvasId: string, inviteId: string): Promise<boolean> {
    return guarded(() => this.statements.revoke.run(canvasId, inviteId).changes > 0)
  }

  listForEmail(email: string, now: number): Promise<InviteForUser[]> {
    return guarded(() =>
      (
        this.statements.listForEmail.all({ email, now }) as {
          id: string
          role: MemberRole
          created_at: string
          expires_at: number | null
          canvas_id: string
          canvas_name: string
          invited_by: string
        }[]
      ).map((r) => ({
        id: r.id,
        role: r.role,
        createdAt: r.created_at,
        expiresAt: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
        canvas: { id: r.canvas_id, name: r.canvas_name },
        invitedBy: { username: r.invited_by },
      })),
    )
  }

  findLink(tokenHash: string, now: number): Promise<Invite | undefined> {
    return guarded(() => {
      const r = this.statements.linkByHash.get({ tokenHash, now }) as InviteRow | undefined
      return r && toInvite(r)
    })
  }

  /** Makes the user a member with at least `role`, under the member cap [INV3][INV4]; in a transaction. */
  private grant(canvasId: string, userId: string, role: MemberRole): Acceptance {
    if (this.statements.ownerOf.get(canvasId) === userId) return { canvasId, role: 'owner' }
    const held = this.statements.memberRole.get(canvasId, userId) as Role | undefined
    const { maxMembersPerCanvas } = this.limits
    if (held === undefined && (this.statements.memberCount.get(canvasId) as number) >= maxMembersPerCanvas)
      throw new AppError(
        'limit_exceeded',
        `a canvas may have at most ${maxMembersPerCanvas} members besides its owner`,
      )
    const next = strongerRole(held, role)
    if (next !== held) this.statements.upsertMember.run(canvasId, userId, next, this.isoNow())
    return { canvasId, role: next }
  }

  acceptEmail(
    inviteId: string,
    user: { id: string; email: string },
    now: number,
  ): Promise<Acceptance | undefined> {
    return guarded(() =>
      this.db
        .transaction(() => {
          const r = this.statements.emailInviteById.get({ id: inviteId, email: user.email, now }) as
            InviteRow | undefined
          if (!r) return undefined
          const acceptance = this.grant(r.canvas_id, user.id, r.role)
          this.statements.deleteById.run(r.id)
          return acceptance
        })
        .immediate(),
    )
  }

  acceptLink(tokenHash: string, userId: string, now: number): Promise<Acceptance | undefined> {
    return guarded(() =>
      this.db
        .transaction(() => {
          const r = this.statements.linkByHash.get({ tokenHash, now }) as InviteRow | undefined
          return r && this.grant(r.canvas_id, userId, r.role)
        })
        .immediate(),
    )
  }

  acceptAllForEmail(user: { id: string; email: string }, now: number): Promise<Acceptance[]> {
    return guarded(() =>
      this.db
        .transaction(() => {
          const accepted: Acceptance[] = []
          for (const r of this.statements.liveForEmail.all({ email: user.email, now }) as InviteRow[]) {
            // One full canvas must not keep the others' invitations from applying.
            try {
              accepted.push(this.grant(r.canvas_id, user.id, r.role))
              this.statements.deleteById.run(r.id)
            } catch (err) {
              if (!(err instanceof AppError && err.code === 'limit_exceeded')) throw err
            }
          }
          return accepted
        })
        .immediate(),
    )
  }

  decline(inviteId: string, email: string): Promise<boolean> {
    return guarded(() => this.statements.decline.run(inviteId, email).changes > 0)
  }
}

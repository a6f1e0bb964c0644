import { randomUUID } from 'node:crypto'
import { inTransaction } from '../../postgres/inTransaction.js'
import type { PgClient, PgPool } from '../../postgres/openPostgres.js'
import { pgGuarded } from '../../postgres/postgresErrors.js'
import { AppError } from '../../protocol/appError.js'
import type { MemberRole, Role } from '../../protocol/roles.js'
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
import { DEFAULT_INVITE_LIMITS } from '../sqlite/sqliteInviteStore.js'

interface InviteRow {
  id: string
  canvas_id: string
  email: string | null
  role: MemberRole
  created_by: string
  created_at: Date
  expires_at: string | null
}

const COLUMNS = 'id, canvas_id, email, role, created_by, created_at, expires_at'
// A NULL expiry never expires; `now` is unix ms. BIGINT arrives as a string from pg.
const LIVE = '(expires_at IS NULL OR expires_at > $NOW)'
const live = (param: number) => LIVE.replace('$NOW', `$${param}`)

const toInvite = (r: InviteRow): Invite => ({
  id: r.id,
  canvasId: r.canvas_id,
  kind: r.email === null ? 'link' : 'email',
  ...(r.email === null ? {} : { email: r.email }),
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at === null ? null : new Date(Number(r.expires_at)).toISOString(),
})

/**
 * Invitations in PostgreSQL (src/store/inviteStore.ts). Every change to one canvas's
 * invitations or members runs under that canvas's row lock (FOR NO KEY UPDATE, as the canvas
 * store's member cap does), so caps hold across processes [INV4].
 */
export class PostgresInviteStore implements InviteStore {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
    private readonly limits: Readonly<InviteLimits> = DEFAULT_INVITE_LIMITS,
  ) {}

  private async lockCanvas(client: PgClient, canvasId: string): Promise<string | undefined> {
    const r = await client.query<{ owner_id: string }>(
      'SELECT owner_id FROM canvases WHERE id = $1 FOR NO KEY UPDATE',
      [canvasId],
    )
    return r.rows[0]?.owner_id
  }

  private async checkInviteCap(client: PgClient, canvasId: string): Promise<void> {
    const { maxInvitesPerCanvas } = this.limits
    const r = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM canvas_invites WHERE canvas_id = $1 AND ${live(2)}`,
      [canvasId, this.now()],
    )
    if (Number(r.rows[0]?.n ?? 0) >= maxInvitesPerCanvas)
      throw new AppError(
        'limit_exceeded',
        `a canvas may have at most ${maxInvitesPerCanvas} open invitations`,
      )
  }

  inviteEmail(input: EmailInviteInput): Promise<Invite> {
    return inTransaction(this.pool, async (client) => {
      await this.lockCanvas(client, input.canvasId)
      const at = new Date(this.now())
      const renewed = await client.query<InviteRow>(
        `UPDATE canvas_invites SET role = $3, created_by = $4, created_at = $5, expires_at = $6
         WHERE canvas_id = $1 AND email = $2 RETURNING ${COLUMNS}`,
        [input.canvasId, input.email, input.role, input.createdBy, at, input.expiresAt],
      )
      if (renewed.rows[0]) return toInvite(renewed.rows[0])
      await this.checkInviteCap(client, input.canvasId)
      const r = await client.query<InviteRow>(
        `INSERT INTO canvas_invites (id, canvas_id, email, role, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [randomUUID(), input.canvasId, input.email, input.role, input.createdBy, at, input.expiresAt],
      )
      return toInvite(r.rows[0] as InviteRow)
    })
  }

  createLink(input: LinkInviteInput): Promise<Invite> {
    return inTransaction(this.pool, async (client) => {
      await this.lockCanvas(client, input.canvasId)
      await this.checkInviteCap(client, input.canvasId)
      const r = await client.query<InviteRow>(
        `INSERT INTO canvas_invites (id, canvas_id, token_hash, role, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          input.canvasId,
          input.tokenHash,
          input.role,
          input.createdBy,
          new Date(this.now()),
          input.expiresAt,
        ],
      )
      return toInvite(r.rows[0] as InviteRow)
    })
  }

  listForCanvas(canvasId: string, now: number): Promise<Invite[]> {
    return pgGuarded(async () =>
      (
        await this.pool.query<InviteRow>(
          `SELECT ${COLUMNS} FROM canvas_invites WHERE canvas_id = $1 AND ${live(2)}
           ORDER BY created_at, insert_order`,
          [canvasId, now],
        )
      ).rows.map(toInvite),
    )
  }

  revoke(canvasId: string, inviteId: string): Promise<boolean> {
    return pgGuarded(
      async () =>
        ((
          await this.pool.query('DELETE FROM canvas_invites WHERE canvas_id = $1 AND id = $2', [
            canvasId,
            inviteId,
          ])
        ).rowCount ?? 0) > 0,
    )
  }

  listForEmail(email: string, now: number): Promise<InviteForUser[]> {
    return pgGuarded(async () => {
      const r = await this.pool.query<{
        id: string
        role: MemberRole
        created_at: Date
        expires_at: string | null
        canvas_id: string
        canvas_name: string
        invited_by: string
      }>(
        `SELECT i.id, i.role, i.created_at, i.expires_at, c.id AS canvas_id, c.name AS canvas_name,
                u.username AS invited_by
         FROM canvas_invites i JOIN canvases c ON c.id = i.canvas_id JOIN users u ON u.id = i.created_by
         WHERE i.email = $1 AND (i.expires_at IS NULL OR i.expires_at > $2)
         ORDER BY i.created_at DESC, i.insert_order DESC`,
        [email, now],
      )
      return r.rows.map((row) => ({
        id: row.id,
        role: row.role,
        createdAt: row.created_at.toISOString(),
        expiresAt: row.expires_at === null ? null : new Date(Number(row.expires_at)).toISOString(),
        canvas: { id: row.canvas_id, name: row.canvas_name },
        invitedBy: { username: row.invited_by },
      }))
    })
  }

  findLink(tokenHash: string, now: number): Promise<Invite | undefined> {
    return pgGuarded(async () => {
      const r = await this.pool.query<InviteRow>(
        `SELECT ${COLUMNS} FROM canvas_invites WHERE token_hash = $1 AND ${live(2)}`,
        [tokenHash, now],
      )
      return r.rows[0] && toInvite(r.rows[0])
    })
  }

  /** Makes the user a member with at least `role`, under the member cap [INV3][INV4]; the canvas is locked. */
  private async grant(
    client: PgClient,
    canvasId: string,
    userId: string,
    role: MemberRole,
  ): Promise<Acceptance> {
    const owner = await this.lockCanvas(client, canvasId)
    if (owner === userId) return { canvasId, role: 'owner' }
    const held = (
      await client.query<{ role: Role }>(
        'SELECT role FROM canvas_members WHERE canvas_id = $1 AND user_id = $2',
        [canvasId, userId],
      )
    ).rows[0]?.role
    const { maxMembersPerCanvas } = this.limits
    if (held === undefined) {
      const n = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM canvas_members WHERE canvas_id = $1',
        [canvasId],
      )
      if (Number(n.rows[0]?.n ?? 0) >= maxMembersPerCanvas)
        throw new AppError(
          'limit_exceeded',
          `a canvas may have at most ${maxMembersPerCanvas} members besides its owner`,
        )
    }
    const next = strongerRole(held, role)
    if (next !== held)
      await client.query(
        `INSERT INTO canvas_members (canvas_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (canvas_id, user_id) DO UPDATE SET role = excluded.role`,
        [canvasId, userId, next, new Date(this.now())],
      )
    return { canvasId, role: next }
  }

  acceptEmail(
    inviteId: string,
    user: { id: string; email: string },
    now: number,
  ): Promise<Acceptance | undefined> {
    return inTransaction(this.pool, async (client) => {
      // Deleting first claims the invitation: two concurrent accepts cannot both use it.
      const r = await client.query<InviteRow>(
        `DELETE FROM canvas_invites WHERE id = $1 AND email = $2 AND ${live(3)} RETURNING ${COLUMNS}`,
        [inviteId, user.email, now],
      )
      const row = r.rows[0]
      return row && this.grant(client, row.canvas_id, user.id, row.role)
    })
  }

  acceptLink(tokenHash: string, userId: string, now: number): Promise<Acceptance | undefined> {
    return inTransaction(this.pool, async (client) => {
      const r = await client.query<InviteRow>(
        `SELECT ${COLUMNS} FROM canvas_invites WHERE token_hash = $1 AND ${live(2)} FOR SHARE`,
        [tokenHash, now],
      )
      const row = r.rows[0]
      return row && this.grant(client, row.canvas_id, userId, row.role)
    })
  }

  acceptAllForEmail(user: { id: string; email: string }, now: number): Promise<Acceptance[]> {
    return inTransaction(this.pool, async (client) => {
      const rows = (
        await client.query<InviteRow>(
          `SELECT ${COLUMNS} FROM canvas_invites WHERE email = $1 AND ${live(2)} ORDER BY canvas_id`,
          [user.email, now],
        )
      ).rows
      const accepted: Acceptance[] = []
      for (const row of rows) {
        // One full canvas must not keep the others' invitations from applying: a savepoint
        // undoes just that one.
        await client.query('SAVEPOINT invite')
        try {
          accepted.push(await this.grant(client, row.canvas_id, user.id, row.role))
          await client.query('DELETE FROM canvas_invites WHERE id = $1', [row.id])
          await client.query('RELEASE SAVEPOINT invite')
        } catch (err) {
          if (!(err instanceof AppError && err.code === 'limit_exceeded')) throw err
          await client.query('ROLLBACK TO SAVEPOINT invite')
        }
      }
      return accepted
    })
  }

  decline(inviteId: string, email: string): Promise<boolean> {
    return pgGuarded(
      async () =>
        ((await this.pool.query('DELETE FROM canvas_invites WHERE id = $1 AND email = $2', [inviteId, email]))
          .rowCount ?? 0) > 0,
    )
  }
}

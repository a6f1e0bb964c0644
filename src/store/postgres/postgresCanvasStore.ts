import { randomUUID } from 'node:crypto'
import { AppError } from '../../protocol/appError.js'
import { inTransaction } from '../../postgres/inTransaction.js'
import type { PgClient, PgPool } from '../../postgres/openPostgres.js'
import { isUniqueViolation, pgGuarded, toStorageError } from '../../postgres/postgresErrors.js'
import {
  DEFAULT_STORE_LIMITS,
  usernameKey,
  type Canvas,
  type CanvasForUser,
  type CanvasStore,
  type Member,
  type MemberRole,
  type Role,
  type SessionRecord,
  type StoreLimits,
  type User,
  type UserWithPassword,
} from '../canvasStore.js'

interface CanvasRow {
  id: string
  name: string
  owner_id: string
  created_at: Date
  updated_at: Date
  role: Role
}

const toCanvas = (r: Omit<CanvasRow, 'role'>): Canvas => ({
  id: r.id,
  name: r.name,
  ownerId: r.owner_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
})
const toCanvasForUser = (r: CanvasRow): CanvasForUser => ({ ...toCanvas(r), role: r.role })

// The caller's role: owner through canvases.owner_id, otherwise through canvas_members.
const CANVAS_WITH_ROLE = `
  SELECT c.id, c.name, c.owner_id, c.created_at, c.updated_at,
         CASE WHEN c.owner_id = $1 THEN 'owner' ELSE m.role END AS role
  FROM canvases c
  LEFT JOIN canvas_members m ON m.canvas_id = c.id AND m.user_id = $1
  WHERE (c.owner_id = $1 OR m.user_id IS NOT NULL)`

// Text is compared byte-wise (COLLATE "C") wherever order is visible, as SQLite does, so the
// two stores list in one order whatever locale the database was created with.

/**
 * The store in PostgreSQL. Caps [ST5] are checked under a row lock on the parent (the owner for
 * canvases, the canvas for members) taken with SELECT … FOR NO KEY UPDATE: concurrent writers
 * for one parent, in this process or another, run their count and insert one after the other.
 * NO KEY UPDATE, not UPDATE, because it leaves the KEY SHARE locks of foreign-key checks (and of
 * the op log's appends) free: a member change never waits for an append to the canvas.
 *
 * The pool is borrowed (the op log shares it); whoever opened it ends it.
 */
export class PostgresCanvasStore implements CanvasStore {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
    private readonly limits: Readonly<StoreLimits> = DEFAULT_STORE_LIMITS,
  ) {}

  private date(): Date {
    return new Date(this.now())
  }

  private async rows<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    return pgGuarded(async () => (await this.pool.query<R>(sql, params)).rows)
  }

  private async count(sql: string, params: unknown[]): Promise<number> {
    return pgGuarded(async () => (await this.pool.query(sql, params)).rowCount ?? 0)
  }

  async ping(): Promise<void> {
    await this.rows('SELECT 1', [])
  }

  async createUser(input: { email: string; username: string; passwordHash: string }): Promise<User> {
    const created = this.date()
    const user: User = {
      id: randomUUID(),
      email: input.email,
      username: input.username,
      createdAt: created.toISOString(),
    }
    try {
      await this.pool.query(
        'INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [user.id, user.email, user.username, usernameKey(user.username), input.passwordHash, created],
      )
    } catch (err) {
      if (isUniqueViolation(err, 'users_username_key'))
        throw new AppError('conflict', 'this username is taken', { field: 'body.username' })
      if (isUniqueViolation(err)) throw new AppError('conflict', 'an account with this email already exists')
      throw toStorageError(err)
    }
    return user
  }

  async findUserByEmail(email: string): Promise<UserWithPassword | undefined> {
    const [r] = await this.rows<{
      id: string
      email: string
      username: string
      password_hash: string | null
      created_at: Date
    }>('SELECT id, email, username, password_hash, created_at FROM users WHERE email = $1', [email])
    return (
      r && {
        id: r.id,
        email: r.email,
        username: r.username,
        createdAt: r.created_at.toISOString(),
        passwordHash: r.password_hash,
      }
    )
  }

  async getUser(id: string): Promise<User | undefined> {
    const [r] = await this.rows<{ id: string; email: string; username: string; created_at: Date }>(
      'SELECT id, email, username, created_at FROM users WHERE id = $1',
      [id],
    )
    return r && { id: r.id, email: r.email, username: r.username, createdAt: r.created_at.toISOString() }
  }

  async createSession(input: { tokenHash: string; userId: string; expiresAt: number }): Promise<void> {
    await this.rows(
      'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
      [input.tokenHash, input.userId, this.now(), input.expiresAt],
    )
  }

  async findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    // BIGINT comes back as a string (it may exceed 2^53); unix ms fit a number.
    const [r] = await this.rows<{ user_id: string; expires_at: string }>(
      'SELECT user_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2',
      [tokenHash, now],
    )
    return r && { userId: r.user_id, expiresAt: Number(r.expires_at) }
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.rows('DELETE FROM sessions WHERE token_hash = $1', [tokenHash])
  }

  deleteExpiredSessions(now: number): Promise<number> {
    return this.count('DELETE FROM sessions WHERE expires_at <= $1', [now])
  }

  async deleteSessionsBeyond(userId: string, keep: number, now: number): Promise<string[]> {
    const rows = await this.rows<{ token_hash: string }>(
      `DELETE FROM sessions WHERE token_hash IN (
         SELECT token_hash FROM sessions WHERE user_id = $1 AND expires_at > $2
         ORDER BY created_at DESC, insert_order DESC OFFSET $3)
       RETURNING token_hash`,
      [userId, now, keep],
    )
    return rows.map((r) => r.token_hash)
  }

  createCanvas(input: { name: string; ownerId: string }): Promise<CanvasForUser> {
    const at = this.date()
    const canvas: CanvasForUser = {
      id: randomUUID(),
      name: input.name,
      ownerId: input.ownerId,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      role: 'owner',
    }
    const { maxCanvasesPerOwner } = this.limits
    return inTransaction(this.pool, async (client) => {
      // The owner's row lock serialises this owner's creates: the count below cannot go stale [ST5].
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [canvas.ownerId])
      if (
        (await countOf(client, 'SELECT count(*) FROM canvases WHERE owner_id = $1', [canvas.ownerId])) >=
        maxCanvasesPerOwner
      )
        throw new AppError('limit_exceeded', `a user may own at most ${maxCanvasesPerOwner} canvases`)
      await client.query(
        'INSERT INTO canvases (id, name, owner_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)',
        [canvas.id, canvas.name, canvas.ownerId, at],
      )
      return canvas
    })
  }

  async listCanvases(userId: string): Promise<CanvasForUser[]> {
    const rows = await this.rows<CanvasRow>(
      `${CANVAS_WITH_ROLE} ORDER BY c.updated_at DESC, c.id COLLATE "C"`,
      [userId],
    )
    return rows.map(toCanvasForUser)
  }

  async getCanvasForUser(canvasId: string, userId: string): Promise<CanvasForUser | undefined> {
    const [r] = await this.rows<CanvasRow>(`${CANVAS_WITH_ROLE} AND c.id = $2`, [userId, canvasId])
    return r && toCanvasForUser(r)
  }

  async canvasExists(canvasId: string): Promise<boolean> {
    return (await this.rows('SELECT 1 FROM canvases WHERE id = $1', [canvasId])).length > 0
  }

  async renameCanvas(canvasId: string, name: string): Promise<Canvas | undefined> {
    const [r] = await this.rows<Omit<CanvasRow, 'role'>>(
      'UPDATE canvases SET name = $1, updated_at = $2 WHERE id = $3 RETURNING id, name, owner_id, created_at, updated_at',
      [name, this.date(), canvasId],
    )
    return r && toCanvas(r)
  }

  async deleteCanvas(canvasId: string): Promise<boolean> {
    return (await this.count('DELETE FROM canvases WHERE id = $1', [canvasId])) > 0
  }

  async listMembers(canvasId: string): Promise<Member[]> {
    const rows = await this.rows<{ user_id: string; email: string; username: string; role: Role }>(
      `SELECT user_id, email, username, role FROM (
         SELECT u.id AS user_id, u.email, u.username, 'owner' AS role, 0 AS rank
           FROM canvases c JOIN users u ON u.id = c.owner_id WHERE c.id = $1
         UNION ALL
         SELECT u.id, u.email, u.username, m.role, 1
           FROM canvas_members m JOIN users u ON u.id = m.user_id WHERE m.canvas_id = $1
       ) AS everyone
       ORDER BY rank, username COLLATE "C", user_id COLLATE "C"`,
      [canvasId],
    )
    return rows.map((r) => ({ userId: r.user_id, email: r.email, username: r.username, role: r.role }))
  }

  upsertMember(canvasId: string, userId: string, role: MemberRole): Promise<'created' | 'updated'> {
    const { maxMembersPerCanvas } = this.limits
    return inTransaction(this.pool, async (client) => {
      // The canvas's row lock serialises membership changes of this canvas [ST5]; it also waits
      // for a concurrent delete, after which the insert below fails on the foreign key.
      await client.query('SELECT 1 FROM canvases WHERE id = $1 FOR NO KEY UPDATE', [canvasId])
      const existed =
        (
          await client.query('SELECT 1 FROM canvas_members WHERE canvas_id = $1 AND user_id = $2', [
            canvasId,
            userId,
          ])
        ).rows.length > 0
      if (
        !existed &&
        (await countOf(client, 'SELECT count(*) FROM canvas_members WHERE canvas_id = $1', [canvasId])) >=
          maxMembersPerCanvas
      )
        throw new AppError(
          'limit_exceeded',
          `a canvas may have at most ${maxMembersPerCanvas} members besides its owner`,
        )
      await client.query(
        `INSERT INTO canvas_members (canvas_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (canvas_id, user_id) DO UPDATE SET role = excluded.role`,
        [canvasId, userId, role, this.date()],
      )
      return existed ? 'updated' : 'created'
    })
  }

  async removeMember(canvasId: string, userId: string): Promise<boolean> {
    return (
      (await this.count('DELETE FROM canvas_members WHERE canvas_id = $1 AND user_id = $2', [
        canvasId,
        userId,
      ])) > 0
    )
  }

  /** The pool is borrowed (the op log shares it); whoever opened it ends it. */
  close(): Promise<void> {
    return Promise.resolve()
  }
}

async function countOf(client: PgClient, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await client.query<{ count: string }>(sql, params)
  return Number(rows[0]?.count ?? 0)
}

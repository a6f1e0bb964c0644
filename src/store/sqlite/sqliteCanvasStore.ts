import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { AppError } from '../../protocol/appError.js'
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
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { guarded } from '../../sqlite/sqliteErrors.js'

interface CanvasRow {
  id: string
  name: string
  owner_id: string
  created_at: string
  updated_at: string
  role: Role
}

const toCanvas = (r: Omit<CanvasRow, 'role'>): Canvas => ({
  id: r.id,
  name: r.name,
  ownerId: r.owner_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})
const toCanvasForUser = (r: CanvasRow): CanvasForUser => ({ ...toCanvas(r), role: r.role })

// The caller's role: owner through canvases.owner_id, otherwise through canvas_members.
const CANVAS_WITH_ROLE = `
  SELECT c.id, c.name, c.owner_id, c.created_at, c.updated_at,
         CASE WHEN c.owner_id = @userId THEN 'owner' ELSE m.role END AS role
  FROM canvases c
  LEFT JOIN canvas_members m ON m.canvas_id = c.id AND m.user_id = @userId
  WHERE (c.owner_id = @userId OR m.user_id IS NOT NULL)`

export class SqliteCanvasStore implements CanvasStore {
  private readonly statements

  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
    private readonly limits: Readonly<StoreLimits> = DEFAULT_STORE_LIMITS,
  ) {
    this.statements = {
      ping: db.prepare('SELECT 1').pluck(),
      insertUser: db.prepare(
        'INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      userByEmail: db.prepare(
        'SELECT id, email, username, password_hash, created_at FROM users WHERE email = ?',
      ),
      userById: db.prepare('SELECT id, email, username, created_at FROM users WHERE id = ?'),
      insertSession: db.prepare(
        'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      ),
      sessionByHash: db.prepare(
        'SELECT user_id, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?',
      ),
      deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
      deleteExpired: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
      // Newest first by creation, then by insertion (rowid) for sessions made in one millisecond.
      deleteBeyond: db
        .prepare(
          `DELETE FROM sessions WHERE token_hash IN (
             SELECT token_hash FROM sessions WHERE user_id = ? AND expires_at > ?
             ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)
           RETURNING token_hash`,
        )
        .pluck(),
      insertCanvas: db.prepare(
        'INSERT INTO canvases (id, name, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
      ),
      ownedCount: db.prepare('SELECT COUNT(*) FROM canvases WHERE owner_id = ?').pluck(),
      listCanvases: db.prepare(`${CANVAS_WITH_ROLE} ORDER BY c.updated_at DESC, c.id`),
      canvasForUser: db.prepare(`${CANVAS_WITH_ROLE} AND c.id = @canvasId`),
      canvasExists: db.prepare('SELECT 1 FROM canvases WHERE id = ?'),
      renameCanvas: db.prepare(
        'UPDATE canvases SET name = ?, updated_at = ? WHERE id = ? RETURNING id, name, owner_id, created_at, updated_at',
      ),
      deleteCanvas: db.prepare('DELETE FROM canvases WHERE id = ?'),
      listMembers: db.prepare(`
        SELECT u.id AS user_id, u.email, u.username, 'owner' AS role, 0 AS rank
          FROM canvases c JOIN users u ON u.id = c.owner_id WHERE c.id = @canvasId
        UNION ALL
        SELECT u.id, u.email, u.username, m.role, 1
          FROM canvas_members m JOIN users u ON u.id = m.user_id WHERE m.canvas_id = @canvasId
        ORDER BY rank, username, user_id`),
      memberRole: db.prepare('SELECT role FROM canvas_members WHERE canvas_id = ? AND user_id = ?'),
      upsertMember: db.prepare(`
        INSERT INTO canvas_members (canvas_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (canvas_id, user_id) DO UPDATE SET role = excluded.role`),
      memberCount: db.prepare('SELECT COUNT(*) FROM canvas_members WHERE canvas_id = ?').pluck(),
      removeMember: db.prepare('DELETE FROM canvas_members WHERE canvas_id = ? AND user_id = ?'),
    }
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString()
  }

  ping(): Promise<void> {
    return guarded(() => {
      this.statements.ping.get()
    })
  }

  createUser(input: { email: string; username: string; passwordHash: string }): Promise<User> {
    const user: User = {
      id: randomUUID(),
      email: input.email,
      username: input.username,
      createdAt: this.isoNow(),
    }
    try {
      this.statements.insertUser.run(
        user.id,
        user.email,
        user.username,
        usernameKey(user.username),
        input.passwordHash,
        user.createdAt,
      )
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        return Promise.reject(
          err.message.includes('username_key')
            ? new AppError('conflict', 'this username is taken', { field: 'body.username' })
            : new AppError('conflict', 'an account with this email already exists'),
        )
      }
      return guarded(() => {
        throw err
      })
    }
    return Promise.resolve(user)
  }

  findUserByEmail(email: string): Promise<UserWithPassword | undefined> {
    return guarded(() => {
      const r = this.statements.userByEmail.get(email) as
        | { id: string; email: string; username: string; password_hash: string | null; created_at: string }
        | undefined
      return (
        r && {
          id: r.id,
          email: r.email,
          username: r.username,
          createdAt: r.created_at,
          passwordHash: r.password_hash,
        }
      )
    })
  }

  getUser(id: string): Promise<User | undefined> {
    return guarded(() => {
      const r = this.statements.userById.get(id) as
        { id: string; email: string; username: string; created_at: string } | undefined
      return r && { id: r.id, email: r.email, username: r.username, createdAt: r.created_at }
    })
  }

  createSession(input: { tokenHash: string; userId: string; expiresAt: number }): Promise<void> {
    return guarded(() => {
      this.statements.insertSession.run(input.tokenHash, input.userId, this.now(), input.expiresAt)
    })
  }

  findSession(tokenHash: string, now: number): Promise<SessionRecord | undefined> {
    return guarded(() => {
      const r = this.statements.sessionByHash.get(tokenHash, now) as
        { user_id: string; expires_at: number } | undefined
      return r && { userId: r.user_id, expiresAt: r.expires_at }
    })
  }

  deleteSession(tokenHash: string): Promise<void> {
    return guarded(() => {
      this.statements.deleteSession.run(tokenHash)
    })
  }

  deleteExpiredSessions(now: number): Promise<number> {
    return guarded(() => this.statements.deleteExpired.run(now).changes)
  }

  deleteSessionsBeyond(userId: string, keep: number, now: number): Promise<string[]> {
    return guarded(() => this.statements.deleteBeyond.all(userId, now, keep) as string[])
  }

  createCanvas(input: { name: string; ownerId: string }): Promise<CanvasForUser> {
    return guarded(() => {
      const at = this.isoNow()
      const canvas: CanvasForUser = {
        id: randomUUID(),
        name: input.name,
        ownerId: input.ownerId,
        createdAt: at,
        updatedAt: at,
        role: 'owner',
      }
      const { maxCanvasesPerOwner } = this.limits
      // Count and insert under one write lock, so concurrent creates cannot pass the cap [ST5].
      this.db
        .transaction(() => {
          if ((this.statements.ownedCount.get(canvas.ownerId) as number) >= maxCanvasesPerOwner)
            throw new AppError('limit_exceeded', `a user may own at most ${maxCanvasesPerOwner} canvases`)
          this.statements.insertCanvas.run(canvas.id, canvas.name, canvas.ownerId, at, at)
        })
        .immediate()
      return canvas
    })
  }

  listCanvases(userId: string): Promise<CanvasForUser[]> {
    return guarded(() => (this.statements.listCanvases.all({ userId }) as CanvasRow[]).map(toCanvasForUser))
  }

  getCanvasForUser(canvasId: string, userId: string): Promise<CanvasForUser | undefined> {
    return guarded(() => {
      const r = this.statements.canvasForUser.get({ userId, canvasId }) as CanvasRow | undefined
      return r && toCanvasForUser(r)
    })
  }

  canvasExists(canvasId: string): Promise<boolean> {
    return guarded(() => this.statements.canvasExists.get(canvasId) !== undefined)
  }

  renameCanvas(canvasId: string, name: string): Promise<Canvas | undefined> {
    return guarded(() => {
      const r = this.statements.renameCanvas.get(name, this.isoNow(), canvasId) as
        Omit<CanvasRow, 'role'> | undefined
      return r && toCanvas(r)
    })
  }

  deleteCanvas(canvasId: string): Promise<boolean> {
    return guarded(() => this.statements.deleteCanvas.run(canvasId).changes > 0)
  }

  listMembers(canvasId: string): Promise<Member[]> {
    return guarded(() =>
      (
        this.statements.listMembers.all({ canvasId }) as {
          user_id: string
          email: string
          username: string
          role: Role
        }[]
      ).map((r) => ({ userId: r.user_id, email: r.email, username: r.username, role: r.role })),
    )
  }

  upsertMember(canvasId: string, userId: string, role: MemberRole): Promise<'created' | 'updated'> {
    return guarded(() =>
      // IMMEDIATE takes the write lock up front: a deferred transaction that reads first and
      // then writes gets SQLITE_BUSY at once (no busy_timeout wait) when another connection,
      // such as the WAL checkpointer, holds the lock at the moment of the upgrade.
      this.db
        .transaction(() => {
          const existed = this.statements.memberRole.get(canvasId, userId) !== undefined
          const { maxMembersPerCanvas } = this.limits
          if (!existed && (this.statements.memberCount.get(canvasId) as number) >= maxMembersPerCanvas)
            throw new AppError(
              'limit_exceeded',
              `a canvas may have at most ${maxMembersPerCanvas} members besides its owner`,
            )
          this.statements.upsertMember.run(canvasId, userId, role, this.isoNow())
          return existed ? ('updated' as const) : ('created' as const)
        })
        .immediate(),
    )
  }

  removeMember(canvasId: string, userId: string): Promise<boolean> {
    return guarded(() => this.statements.removeMember.run(canvasId, userId).changes > 0)
  }

  /** The database handle is borrowed (the op log shares it); whoever opened it closes it. */
  close(): Promise<void> {
    return Promise.resolve()
  }
}

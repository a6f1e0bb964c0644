import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { AppError } from '../../protocol/appError.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { guarded } from '../../sqlite/sqliteErrors.js'
import { usernameKey, type User } from '../canvasStore.js'
import type { Identity, IdentityStore, NewIdentity, UnlinkResult } from '../identityStore.js'

interface IdentityRow {
  id: string
  user_id: string
  issuer: string
  subject: string
  email: string | null
  created_at: string
}

const COLUMNS = 'id, user_id, issuer, subject, email, created_at'

const toIdentity = (r: IdentityRow): Identity => ({
  id: r.id,
  userId: r.user_id,
  issuer: r.issuer,
  subject: r.subject,
  email: r.email,
  createdAt: r.created_at,
})

/** The unique constraint a failed insert broke, as the contract's `conflict` [ID1][ID2]. */
function conflictOf(err: unknown): AppError | undefined {
  if (!(err instanceof Database.SqliteError) || err.code !== 'SQLITE_CONSTRAINT_UNIQUE') return undefined
  if (err.message.includes('username_key'))
    return new AppError('conflict', 'this username is taken', { field: 'body.username' })
  if (err.message.includes('user_identities'))
    return new AppError('conflict', 'this sign-in identity is linked to an account already')
  return new AppError('conflict', 'an account with this email already exists')
}

/** Identities in SQLite (src/store/identityStore.ts); synchronous transactions serialise [ID3]. */
export class SqliteIdentityStore implements IdentityStore {
  private readonly statements

  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
  ) {
    this.statements = {
      find: db.prepare(`SELECT ${COLUMNS} FROM user_identities WHERE issuer = ? AND subject = ?`),
      insertUser: db.prepare(
        'INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?, NULL, ?)',
      ),
      insert: db.prepare(`INSERT INTO user_identities (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`),
      listForUser: db.prepare(
        `SELECT ${COLUMNS} FROM user_identities WHERE user_id = ? ORDER BY created_at, rowid`,
      ),
      countForUser: db.prepare('SELECT count(*) FROM user_identities WHERE user_id = ?').pluck(),
      passwordOf: db.prepare('SELECT password_hash IS NOT NULL FROM users WHERE id = ?').pluck(),
      delete: db.prepare('DELETE FROM user_identities WHERE id = ? AND user_id = ?'),
      exists: db.prepare('SELECT 1 FROM user_identities WHERE id = ? AND user_id = ?').pluck(),
    }
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString()
  }

  private insert(userId: string, identity: NewIdentity): Identity {
    const row: Identity = { id: randomUUID(), userId, ...identity, createdAt: this.isoNow() }
    this.statements.insert.run(row.id, userId, row.issuer, row.subject, row.email, row.createdAt)
    return row
  }

  private write<T>(run: () => T): Promise<T> {
    try {
      return Promise.resolve(run())
    } catch (err) {
      const conflict = conflictOf(err)
      if (conflict) return Promise.reject(conflict)
      return guarded(() => {
        throw err
      })
    }
  }

  find(issuer: string, subject: string): Promise<Identity | undefined> {
    return guarded(() => {
      const r = this.statements.find.get(issuer, subject) as IdentityRow | undefined
      return r && toIdentity(r)
    })
  }

  createUserWithIdentity(
    input: { email: string; username: string },
    identity: NewIdentity,
  ): Promise<{ user: User; identity: Identity }> {
    return this.write(
      this.db.transaction(() => {
        const user: User = { id: randomUUID(), ...input, createdAt: this.isoNow() }
        this.statements.insertUser.run(
          user.id,
          user.email,
          user.username,
          usernameKey(user.username),
          user.createdAt,
        )
        return { user, identity: this.insert(user.id, identity) }
      }),
    )
  }

  link(userId: string, identity: NewIdentity): Promise<Identity> {
    return this.write(() => this.insert(userId, identity))
  }

  listForUser(userId: string): Promise<Identity[]> {
    return guarded(() => (this.statements.listForUser.all(userId) as IdentityRow[]).map(toIdentity))
  }

  unlink(userId: string, identityId: string, options: { passwordCounts: boolean }): Promise<UnlinkResult> {
    return guarded(
      this.db.transaction((): UnlinkResult => {
        if (this.statements.exists.get(identityId, userId) === undefined) return 'not_found'
        const others = (this.statements.countForUser.get(userId) as number) - 1
        const password = options.passwordCounts && this.statements.passwordOf.get(userId) === 1
        if (others === 0 && !password) return 'last_sign_in'
        this.statements.delete.run(identityId, userId)
        return 'removed'
      }),
    )
  }

  hasPassword(userId: string): Promise<boolean> {
    return guarded(() => this.statements.passwordOf.get(userId) === 1)
  }
}

import { randomUUID } from 'node:crypto'
import { inTransaction } from '../../postgres/inTransaction.js'
import type { PgClient, PgPool } from '../../postgres/openPostgres.js'
import { isUniqueViolation, pgGuarded, toStorageError } from '../../postgres/postgresErrors.js'
import { AppError } from '../../protocol/appError.js'
import { usernameKey, type User } from '../canvasStore.js'
import type { Identity, IdentityStore, NewIdentity, UnlinkResult } from '../identityStore.js'

interface IdentityRow {
  id: string
  user_id: string
  issuer: string
  subject: string
  email: string | null
  created_at: Date
}

const COLUMNS = 'id, user_id, issuer, subject, email, created_at'

const toIdentity = (r: IdentityRow): Identity => ({
  id: r.id,
  userId: r.user_id,
  issuer: r.issuer,
  subject: r.subject,
  email: r.email,
  createdAt: r.created_at.toISOString(),
})

/** The unique constraint a failed insert broke, as the contract's `conflict` [ID1][ID2]. */
function conflictOrStorageError(err: unknown): Error {
  if (isUniqueViolation(err, 'users_username_key'))
    return new AppError('conflict', 'this username is taken', { field: 'body.username' })
  if (isUniqueViolation(err, 'user_identities_issuer_subject_key'))
    return new AppError('conflict', 'this sign-in identity is linked to an account already')
  if (isUniqueViolation(err)) return new AppError('conflict', 'an account with this email already exists')
  return toStorageError(err)
}

/**
 * Identities in PostgreSQL (src/store/identityStore.ts). An unlink locks the user's row first
 * (FOR NO KEY UPDATE), so concurrent unlinks of one user count identities one after the other [ID3].
 */
export class PostgresIdentityStore implements IdentityStore {
  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
  ) {}

  private async insert(client: PgClient | PgPool, userId: string, identity: NewIdentity): Promise<Identity> {
    const created = new Date(this.now())
    const row: Identity = { id: randomUUID(), userId, ...identity, createdAt: created.toISOString() }
    await client.query(`INSERT INTO user_identities (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
      row.id,
      userId,
      row.issuer,
      row.subject,
      row.email,
      created,
    ])
    return row
  }

  async find(issuer: string, subject: string): Promise<Identity | undefined> {
    const [r] = await pgGuarded(
      async () =>
        (
          await this.pool.query<IdentityRow>(
            `SELECT ${COLUMNS} FROM user_identities WHERE issuer = $1 AND subject = $2`,
            [issuer, subject],
          )
        ).rows,
    )
    return r && toIdentity(r)
  }

  async createUserWithIdentity(
    input: { email: string; username: string },
    identity: NewIdentity,
  ): Promise<{ user: User; identity: Identity }> {
    return inTransaction(this.pool, async (client) => {
      const created = new Date(this.now())
      const user: User = { id: randomUUID(), ...input, createdAt: created.toISOString() }
      try {
        await client.query(
          'INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES ($1, $2, $3, $4, NULL, $5)',
          [user.id, user.email, user.username, usernameKey(user.username), created],
        )
        return { user, identity: await this.insert(client, user.id, identity) }
      } catch (err) {
        throw conflictOrStorageError(err)
      }
    })
  }

  async link(userId: string, identity: NewIdentity): Promise<Identity> {
    try {
      return await this.insert(this.pool, userId, identity)
    } catch (err) {
      throw conflictOrStorageError(err)
    }
  }

  async listForUser(userId: string): Promise<Identity[]> {
    const rows = await pgGuarded(
      async () =>
        (
          await this.pool.query<IdentityRow>(
            `SELECT ${COLUMNS} FROM user_identities WHERE user_id = $1 ORDER BY created_at, insert_order`,
            [userId],
          )
        ).rows,
    )
    return rows.map(toIdentity)
  }

  unlink(userId: string, identityId: string, options: { passwordCounts: boolean }): Promise<UnlinkResult> {
    return inTransaction(this.pool, async (client): Promise<UnlinkResult> => {
      const user = await client.query<{ has_password: boolean }>(
        'SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = $1 FOR NO KEY UPDATE',
        [userId],
      )
      const [owner] = user.rows
      if (!owner) return 'not_found'
      const ids = (
        await client.query<{ id: string }>('SELECT id FROM user_identities WHERE user_id = $1', [userId])
      ).rows.map((r) => r.id)
      if (!ids.includes(identityId)) return 'not_found'
      if (ids.length === 1 && !(options.passwordCounts && owner.has_password)) return 'last_sign_in'
      await client.query('DELETE FROM user_identities WHERE id = $1 AND user_id = $2', [identityId, userId])
      return 'removed'
    })
  }

  async hasPassword(userId: string): Promise<boolean> {
    const { rows } = await pgGuarded(() =>
      this.pool.query<{ has_password: boolean }>(
        'SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = $1',
        [userId],
      ),
    )
    return rows[0]?.has_password ?? false
  }
}

import type { PgPool } from '../../postgres/openPostgres.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'

export interface DisableRecord {
  id: number
  userId: string
}

/**
 * Accounts an operator disabled. Disabling appends a row; every serving instance polls for rows
 * after the last it saw (a cheap indexed read) and ends that user's sockets, so `users disable`
 * reaches every instance sharing the database within one poll interval, whichever bus they use.
 */
export interface UserDisables {
  disable(userId: string, at: number): Promise<void>
  isDisabled(userId: string): Promise<boolean>
  /** Disables after `afterId`, oldest first. */
  since(afterId: number): Promise<DisableRecord[]>
  /** The latest id (0 when none): where a starting instance begins watching. */
  head(): Promise<number>
}

export class SqliteUserDisables implements UserDisables {
  private readonly insert
  private readonly exists
  private readonly after
  private readonly latest

  constructor(db: SqliteDb) {
    this.insert = db.prepare('INSERT INTO user_disables (user_id, disabled_at) VALUES (?, ?)')
    this.exists = db.prepare<[string], number>('SELECT COUNT(*) FROM user_disables WHERE user_id = ?').pluck()
    this.after = db.prepare<[number], { id: number; userId: string }>(
      'SELECT id, user_id AS userId FROM user_disables WHERE id > ? ORDER BY id LIMIT 1000',
    )
    this.latest = db.prepare<[], number>('SELECT COALESCE(MAX(id), 0) FROM user_disables').pluck()
  }

  disable(userId: string, at: number): Promise<void> {
    this.insert.run(userId, at)
    return Promise.resolve()
  }

  isDisabled(userId: string): Promise<boolean> {
    return Promise.resolve((this.exists.get(userId) ?? 0) > 0)
  }

  since(afterId: number): Promise<DisableRecord[]> {
    return Promise.resolve(this.after.all(afterId))
  }

  head(): Promise<number> {
    return Promise.resolve(this.latest.get() ?? 0)
  }
}

export class PostgresUserDisables implements UserDisables {
  constructor(private readonly pool: PgPool) {}

  async disable(userId: string, at: number): Promise<void> {
    await this.pool.query('INSERT INTO user_disables (user_id, disabled_at) VALUES ($1, $2)', [userId, at])
  }

  async isDisabled(userId: string): Promise<boolean> {
    const { rows } = await this.pool.query('SELECT 1 FROM user_disables WHERE user_id = $1 LIMIT 1', [userId])
    return rows.length > 0
  }

  async since(afterId: number): Promise<DisableRecord[]> {
    const { rows } = await this.pool.query<{ id: string; user_id: string }>(
      'SELECT id, user_id FROM user_disables WHERE id > $1 ORDER BY id LIMIT 1000',
      [afterId],
    )
    return rows.map((r) => ({ id: Number(r.id), userId: r.user_id }))
  }

  async head(): Promise<number> {
    const { rows } = await this.pool.query<{ head: string }>(
      'SELECT COALESCE(MAX(id), 0) AS head FROM user_disables',
    )
    return Number(rows[0]?.head ?? 0)
  }
}

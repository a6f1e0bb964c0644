import { openSqlite, type SqliteDb } from '../../sqlite/openSqlite.js'
import type { SocketCounts } from '../socketCounts.js'

export interface SqliteSocketCountsOptions {
  dataDir: string
  instanceId: string
  /** This instance's rows are refreshed this often... */
  heartbeatMs: number
  /** ...and other instances' count while refreshed within this. */
  expiryMs: number
  now?: () => number
  onError: (err: unknown, what: string) => void
}

/**
 * SocketCounts in the SQLite file every BUS=sqlite instance shares (`user_sockets`, migration 21):
 * one row per user and instance. A check and its increment are one IMMEDIATE transaction, so two
 * instances admitting the same user at once cannot both take the last place.
 */
export class SqliteSocketCounts implements SocketCounts {
  private readonly db: SqliteDb
  private readonly now: () => number
  private readonly timer: NodeJS.Timeout
  private readonly add: (userId: string, cap: number, now: number) => boolean
  private readonly statements
  private closed = false

  constructor(private readonly options: SqliteSocketCountsOptions) {
    this.now = options.now ?? Date.now
    this.db = openSqlite(options.dataDir)
    // Counts are rebuilt by reconnecting clients after a crash: no fsync per socket.
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('wal_autocheckpoint = 0')
    const db = this.db
    this.statements = {
      total: db
        .prepare(
          `SELECT coalesce(sum(sockets), 0) FROM user_sockets
           WHERE user_id = ? AND (server_instance_id = ? OR updated_at >= ?)`,
        )
        .pluck(),
      increment: db.prepare(
        `INSERT INTO user_sockets (user_id, server_instance_id, sockets, updated_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (user_id, server_instance_id)
         DO UPDATE SET sockets = sockets + 1, updated_at = excluded.updated_at`,
      ),
      decrement: db.prepare(
        'UPDATE user_sockets SET sockets = sockets - 1 WHERE user_id = ? AND server_instance_id = ?',
      ),
      dropEmpty: db.prepare('DELETE FROM user_sockets WHERE server_instance_id = ? AND sockets <= 0'),
      refresh: db.prepare('UPDATE user_sockets SET updated_at = ? WHERE server_instance_id = ?'),
      dropDead: db.prepare('DELETE FROM user_sockets WHERE updated_at < ?'),
      dropInstance: db.prepare('DELETE FROM user_sockets WHERE server_instance_id = ?'),
    }
    const { total, increment } = this.statements
    const { instanceId, expiryMs } = options
    const add = db.transaction((userId: string, cap: number, now: number) => {
      if ((total.get(userId, instanceId, now - expiryMs) as number) >= cap) return false
      increment.run(userId, instanceId, now)
      return true
    })
    this.add = (userId, cap, now) => add.immediate(userId, cap, now)
    this.timer = setInterval(() => this.beat(), options.heartbeatMs)
    this.timer.unref()
  }

  tryAdd(userId: string, cap: number): Promise<boolean> {
    return Promise.resolve(this.add(userId, cap, this.now()))
  }

  remove(userId: string): void {
    if (this.closed) return
    try {
      this.statements.decrement.run(userId, this.options.instanceId)
    } catch (err) {
      this.options.onError(err, 'counting a closed socket')
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    clearInterval(this.timer)
    try {
      this.statements.dropInstance.run(this.options.instanceId)
    } catch (err) {
      this.options.onError(err, 'dropping socket counts')
    }
    this.db.close()
    return Promise.resolve()
  }

  private beat(): void {
    const now = this.now()
    try {
      this.db.transaction(() => {
        this.statements.dropEmpty.run(this.options.instanceId)
        this.statements.refresh.run(now, this.options.instanceId)
        this.statements.dropDead.run(now - 10 * this.options.expiryMs)
      })()
    } catch (err) {
      this.options.onError(err, 'refreshing socket counts')
    }
  }
}

import { fullBucket, take, type Bucket, type BucketRule } from '../core/tokenBucket.js'
import { openSqlite, type SqliteDb } from '../sqlite/openSqlite.js'
import type { SharedBuckets } from './sharedLoginThrottle.js'

interface Row {
  key: string
  tokens: number
  at: number
}

/**
 * SharedBuckets in the SQLite file BUS=sqlite instances share (`login_buckets`, migration 22).
 * A spend is one IMMEDIATE transaction: read, refill, take, write. Full buckets are deleted
 * now and then, as the in-memory throttle forgets them.
 */
export class SqliteSharedBuckets implements SharedBuckets {
  private readonly db: SqliteDb
  private readonly spendAll: (buckets: readonly { key: string; rule: BucketRule }[], now: number) => void
  private readonly statements
  private closed = false

  constructor(dataDir: string) {
    this.db = openSqlite(dataDir)
    // The log's checkpoint worker checkpoints the shared WAL (docs/scaling.md, "WAL").
    this.db.pragma('wal_autocheckpoint = 0')
    const db = this.db
    this.statements = {
      get: db.prepare<[string], Row>('SELECT key, tokens, at FROM login_buckets WHERE key = ?'),
      put: db.prepare(
        `INSERT INTO login_buckets (key, tokens, at, full_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at, full_at = excluded.full_at`,
      ),
      delete: db.prepare('DELETE FROM login_buckets WHERE key = ?'),
      forgetFull: db.prepare('DELETE FROM login_buckets WHERE full_at <= ?'),
    }
    const { get, put, forgetFull } = this.statements
    const spend = db.transaction((buckets: readonly { key: string; rule: BucketRule }[], now: number) => {
      forgetFull.run(now)
      for (const { key, rule } of buckets) {
        const row = get.get(key)
        const r = take(row ? { tokens: row.tokens, at: row.at } : fullBucket(rule, now), rule, now, 1)
        const fullAt = r.bucket.at + Math.ceil(((rule.capacity - r.bucket.tokens) / rule.refillPerSec) * 1000)
        put.run(key, r.bucket.tokens, r.bucket.at, fullAt)
      }
    })
    this.spendAll = (buckets, now) => spend.immediate(buckets, now)
  }

  read(keys: readonly string[]): Promise<(Bucket | undefined)[]> {
    return Promise.resolve(
      keys.map((key) => {
        const row = this.statements.get.get(key)
        return row && { tokens: row.tokens, at: row.at }
      }),
    )
  }

  spend(buckets: readonly { key: string; rule: BucketRule }[], now: number): Promise<void> {
    this.spendAll(buckets, now)
    return Promise.resolve()
  }

  delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.statements.delete.run(key)
    return Promise.resolve()
  }

  close(): Promise<void> {
    if (!this.closed) this.db.close()
    this.closed = true
    return Promise.resolve()
  }
}

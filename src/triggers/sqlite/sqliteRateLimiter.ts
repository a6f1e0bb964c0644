import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import type { BucketRule } from '../../core/tokenBucket.js'
import { migrate, type Migration } from '../../sqlite/migrate.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { toStorageError } from '../../sqlite/sqliteErrors.js'
import { GroupCommitter } from '../groupCommit.js'
import {
  decisionOf,
  peekDecision,
  type RateDecision,
  type RateLimiter,
  type StoredBucket,
} from '../rateLimiter.js'

export const RATE_LIMIT_FILE_NAME = 'rate-limits.db'

/** The buckets' file has its own migrations (its own schema_migrations), numbered in the triggers' range. */
export const RATE_LIMIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 11,
    name: 'triggers: rate limit buckets',
    sql: `
      CREATE TABLE rate_buckets (
        key     TEXT    PRIMARY KEY,
        tokens  REAL    NOT NULL,
        at      INTEGER NOT NULL,
        granted INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
]

/**
 * Opens `dataDir/rate-limits.db`, beside the canvas database, for every process on the host.
 * A file of its own with synchronous=OFF: a bucket is worth no fsync (a crash of the machine at
 * worst forgets a few takes), and its writes stay out of the operation log's WAL.
 */
export function openRateLimitDb(dataDir: string): SqliteDb {
  fs.mkdirSync(dataDir, { recursive: true })
  const db = new Database(path.join(dataDir, RATE_LIMIT_FILE_NAME))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  db.pragma('busy_timeout = 5000')
  // Under the write lock: instances starting together on one host migrate the file one at a
  // time, and the later ones find it done (migrate's own transactions become savepoints).
  db.transaction(() => migrate(db, RATE_LIMIT_MIGRATIONS)).immediate()
  return db
}

/**
 * One UPSERT per take or spend: SQLite runs it under the file's write lock, so takes from several
 * processes on one key are serialised [RL1]. Every SET expression reads the row as it was, so
 * `refilled` is the same value in each; a refused take leaves the refilled tokens [RL2]; a spend
 * (@force) takes its @cost whatever is there [RL4].
 */
const REFILLED = 'min(@capacity, tokens + max(0, @now - at) * @perMs)'
const TAKE = `
  INSERT INTO rate_buckets (key, tokens, at, granted) VALUES (@key, @capacity - @cost, @now, 1)
  ON CONFLICT (key) DO UPDATE SET
    tokens  = CASE WHEN @force OR ${REFILLED} >= @cost THEN ${REFILLED} - @cost ELSE ${REFILLED} END,
    granted = @force OR ${REFILLED} >= @cost,
    at      = max(at, @now)
  RETURNING tokens, granted`
const PEEK = 'SELECT tokens, at FROM rate_buckets WHERE key = ?'

interface TakeRequest {
  key: string
  rule: BucketRule
  now: number
  cost: number
  force: boolean
}

/**
 * The takes of one event-loop turn share one transaction: a commit per request, even without
 * fsync, cost as much as the rest of an ingestion request (profile of bench:triggers).
 */
export class SqliteRateLimiter implements RateLimiter {
  private readonly takes: GroupCommitter<TakeRequest, RateDecision>
  private readonly readBucket: (key: string) => StoredBucket | undefined

  constructor(private readonly db: SqliteDb) {
    const stmt = db.prepare<
      [{ key: string; capacity: number; perMs: number; now: number; cost: number; force: number }],
      { tokens: number; granted: number }
    >(TAKE)
    const peek = db.prepare<[string], StoredBucket>(PEEK)
    this.readBucket = (key) => peek.get(key)
    const takeAll = db.transaction((requests: readonly TakeRequest[]) =>
      requests.map(({ key, rule, now, cost, force }) => {
        const row = stmt.get({
          key,
          capacity: rule.capacity,
          perMs: rule.refillPerSec / 1000,
          now,
          cost,
          force: force ? 1 : 0,
        })
        if (row === undefined) throw new Error('rate limit upsert returned no row')
        return decisionOf(row.tokens, row.granted === 1, rule)
      }),
    )
    this.takes = new GroupCommitter((requests) => {
      try {
        return Promise.resolve(takeAll.immediate(requests))
      } catch (err) {
        return Promise.reject(toStorageError(err))
      }
    })
  }

  take(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    return this.takes.submit({ key, rule, now, cost: 1, force: false })
  }

  peek(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    try {
      return Promise.resolve(peekDecision(this.readBucket(key), rule, now))
    } catch (err) {
      return Promise.reject(toStorageError(err))
    }
  }

  spend(key: string, rule: BucketRule, now: number, amount: number): Promise<RateDecision> {
    return this.takes.submit({ key, rule, now, cost: amount, force: true })
  }

  close(): Promise<void> {
    this.db.close()
    return Promise.resolve()
  }
}

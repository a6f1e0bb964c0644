import type { PgPool } from '../../postgres/openPostgres.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { WriteLockGate } from '../../sqlite/writeLockGate.js'
import type { InstanceSample } from './instanceSampler.js'

/**
 * Where instances leave their latest sample for each other: the database they already share
 * (one SQLite file on one host, PostgreSQL across hosts), so /admin aggregates every instance
 * without a new moving part. One row per instance, overwritten each time; a row older than the
 * caller's horizon is an instance that stopped.
 */
export interface InstanceStats {
  publish(sample: InstanceSample): Promise<void>
  /** Samples updated at or after `since` (unix ms), one per instance. */
  listSince(since: number): Promise<InstanceSample[]>
  /** Deletes rows older than `before`: instances gone for good. */
  prune(before: number): Promise<void>
}

export class SqliteInstanceStats implements InstanceStats {
  private readonly upsert
  private readonly select
  private readonly remove

  /** `gate`: the file's write-lock handshake, so a publish never sleeps behind a worker's commit. */
  constructor(
    db: SqliteDb,
    private readonly gate = new WriteLockGate(),
  ) {
    this.upsert = db.prepare(
      `INSERT INTO instance_stats (instance_id, updated_at, sample) VALUES (?, ?, ?)
       ON CONFLICT (instance_id) DO UPDATE SET updated_at = excluded.updated_at, sample = excluded.sample`,
    )
    this.select = db
      .prepare<[number], string>('SELECT sample FROM instance_stats WHERE updated_at >= ?')
      .pluck()
    this.remove = db.prepare('DELETE FROM instance_stats WHERE updated_at < ?')
  }

  async publish(sample: InstanceSample): Promise<void> {
    await this.gate.run(() => this.upsert.run(sample.instanceId, sample.at, JSON.stringify(sample)))
  }

  listSince(since: number): Promise<InstanceSample[]> {
    return Promise.resolve(this.select.all(since).map((s) => JSON.parse(s) as InstanceSample))
  }

  async prune(before: number): Promise<void> {
    await this.gate.run(() => this.remove.run(before))
  }
}

export class PostgresInstanceStats implements InstanceStats {
  constructor(private readonly pool: PgPool) {}

  async publish(sample: InstanceSample): Promise<void> {
    await this.pool.query(
      `INSERT INTO instance_stats (instance_id, updated_at, sample) VALUES ($1, $2, $3)
       ON CONFLICT (instance_id) DO UPDATE SET updated_at = EXCLUDED.updated_at, sample = EXCLUDED.sample`,
      [sample.instanceId, sample.at, JSON.stringify(sample)],
    )
  }

  async listSince(since: number): Promise<InstanceSample[]> {
    const { rows } = await this.pool.query<{ sample: string }>(
      'SELECT sample FROM instance_stats WHERE updated_at >= $1',
      [since],
    )
    return rows.map((r) => JSON.parse(r.sample) as InstanceSample)
  }

  async prune(before: number): Promise<void> {
    await this.pool.query('DELETE FROM instance_stats WHERE updated_at < $1', [before])
  }
}

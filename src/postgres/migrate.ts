import type { PgClient, PgPool } from './openPostgres.js'
import { inTransaction } from './inTransaction.js'

/**
 * One schema change, applied once in its own transaction. Append only: a released migration is
 * never edited. Versions are one sequence over the schema shared with the SQLite migrations'
 * numbering (src/sqlite/migrate.ts): the store has 1 and 3, the log 2; a new migration takes
 * the next number after the highest in any list. `migratePostgres` refuses duplicates.
 */
export interface PgMigration {
  version: number
  name: string
  sql: string
  /** Data changes SQL alone cannot make; runs after `sql`, in the same transaction. */
  after?: (client: PgClient) => Promise<void>
}

export interface MigrationResult {
  applied: number[]
  current: number
}

/**
 * Applies, in version order, every migration the schema has not recorded; safe to run again
 * and safe to run from several processes at once: each migration's transaction first takes a
 * transaction-scoped advisory lock, keyed by the current schema, then re-reads what is applied.
 * A second instance starting at the same moment waits for the first's transaction, then finds
 * the version recorded and skips it. The lock ends with the transaction, so a crash mid-way
 * leaves nothing held and nothing half-applied.
 */
export async function migratePostgres(
  pool: PgPool,
  ...lists: (readonly PgMigration[])[]
): Promise<MigrationResult> {
  const migrations = lists.flat().sort((a, b) => a.version - b.version)
  const duplicate = migrations.find((m, i) => migrations[i + 1]?.version === m.version)
  if (duplicate !== undefined) throw new Error(`two migrations have version ${duplicate.version}`)
  const applied: number[] = []
  let done = await inTransaction(pool, async (client) => {
    await lockMigrations(client)
    // Created under the lock: two concurrent CREATE TABLE IF NOT EXISTS can both fail on the catalog.
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`)
    return appliedVersions(client)
  })
  for (const m of migrations) {
    if (done.has(m.version)) continue
    done = await inTransaction(pool, async (client) => {
      await lockMigrations(client)
      const now = await appliedVersions(client)
      if (now.has(m.version)) return now
      await client.query(m.sql)
      await m.after?.(client)
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
      return now.add(m.version)
    })
  }
  return { applied, current: Math.max(0, ...done) }
}

// Keyed by schema, so tests migrating their own schemas in one database do not wait on each other.
async function lockMigrations(client: PgClient): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('collabcanvas.migrate.' || current_schema()))`)
}

async function appliedVersions(client: PgClient): Promise<Set<number>> {
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations')
  return new Set(rows.map((r) => r.version))
}

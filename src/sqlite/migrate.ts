import type { SqliteDb } from './openSqlite.js'

/**
 * One schema change, applied once in its own transaction. Append only: a released migration is
 * never edited (a database that ran it would disagree with a fresh one).
 *
 * Each adapter owns the migrations of its tables (src/store/sqlite/migrations.ts,
 * src/log/sqlite/migrations.ts), but versions are one sequence over the database file: a new
 * migration takes the next number after the highest in any list. `migrate` refuses duplicates.
 */
export interface Migration {
  version: number
  name: string
  sql: string
  /** Data changes SQL alone cannot make; runs after `sql`, in the same transaction. */
  after?: (db: SqliteDb) => void
}

export interface MigrationResult {
  applied: number[]
  current: number
}

/**
 * Applies, in version order, every migration the database has not recorded; safe to run again.
 * Lists are given in dependency order (the log's tables reference the store's canvases), and
 * versions say the order within the file, whichever list a migration comes from.
 */
export function migrate(db: SqliteDb, ...lists: (readonly Migration[])[]): MigrationResult {
  const migrations = lists.flat().sort((a, b) => a.version - b.version)
  const duplicate = migrations.find((m, i) => migrations[i + 1]?.version === m.version)
  if (duplicate !== undefined) throw new Error(`two migrations have version ${duplicate.version}`)
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`)
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const recorded = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck()
  const applied: number[] = []
  for (const m of migrations) {
    if (done.has(m.version)) continue
    // Several processes may start on one file at once (BUS=sqlite): each migration takes the
    // write lock first (IMMEDIATE), and whoever waited for it finds the migration recorded.
    const ran = db
      .transaction(() => {
        if (recorded.get(m.version) !== undefined) return false
        db.exec(m.sql)
        m.after?.(db)
        record.run(m.version, m.name, new Date().toISOString())
        return true
      })
      .immediate()
    if (ran) applied.push(m.version)
    done.add(m.version)
  }
  return { applied, current: Math.max(0, ...done) }
}

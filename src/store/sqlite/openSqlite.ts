import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SQLITE_MIGRATIONS, type Migration } from './migrations.js'

export type SqliteDb = Database.Database

export const SQLITE_FILE_NAME = 'canvas.db'

/**
 * Opens (creating if needed) `dataDir/canvas.db` with the pragmas durability depends on.
 * better-sqlite3 reopens existing WAL databases with synchronous=NORMAL, so FULL is set on
 * every open, never assumed [D3].
 */
export function openSqlite(dataDir: string): SqliteDb {
  fs.mkdirSync(dataDir, { recursive: true })
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  return db
}

export interface MigrationResult {
  applied: number[]
  current: number
}

/** Applies every migration newer than the database's version; safe to run again. */
export function migrate(db: SqliteDb, migrations: readonly Migration[] = SQLITE_MIGRATIONS): MigrationResult {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`)
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }
  const current = row.v ?? 0
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const applied: number[] = []
  for (const m of migrations) {
    if (m.version <= current) continue
    db.transaction(() => {
      db.exec(m.sql)
      m.after?.(db)
      record.run(m.version, m.name, new Date().toISOString())
    })()
    applied.push(m.version)
  }
  return { applied, current: applied.at(-1) ?? current }
}

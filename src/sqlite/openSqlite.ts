import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'

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

import Database from 'better-sqlite3'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { LOG_MIGRATIONS } from '../../src/log/sqlite/migrations.js'
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../src/server/deps.js'
import { migrate } from '../../src/sqlite/migrate.js'
import { openSqlite, SQLITE_FILE_NAME, type SqliteDb } from '../../src/sqlite/openSqlite.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { tempDir } from '../support/tempDir.js'
import { LEGACY_MIGRATIONS } from './fixtures/legacyMigrations.js'

/** Every list in the order they apply: by version, whichever list a migration comes from. */
const ALL = SQLITE_MIGRATIONS.flat().sort((a, b) => a.version - b.version)
const VERSIONS = ALL.map((m) => m.version)
const LATEST = Math.max(...VERSIONS)

function freshDir(): string {
  const dir = tempDir()
  onTestFinished(() => dir.remove())
  return dir.path
}

function open(dir: string): SqliteDb {
  const db = openSqlite(dir)
  onTestFinished(() => {
    if (db.open) db.close()
  })
  return db
}

const recorded = (db: SqliteDb) =>
  db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
    version: number
    name: string
  }[]

const tables = (db: SqliteDb) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
    (t) => t.name,
  )

/** Every table, index and its SQL, as SQLite stores them: equal schemas, equal lists. */
const schema = (db: SqliteDb) =>
  db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all()

describe('migrations', () => {
  it('when the store, log and trigger lists are merged then versions are unique, ascending in each list, and the store comes first', () => {
    expect(new Set(VERSIONS).size).toBe(VERSIONS.length)
    for (const list of SQLITE_MIGRATIONS) {
      const versions = list.map((m) => m.version)
      expect(versions).toEqual([...versions].sort((a, b) => a - b))
    }
    // The log's tables reference the store's canvases: the store's first migration is the first.
    expect(STORE_MIGRATIONS[0]?.version).toBe(1)
    expect(Math.min(...LOG_MIGRATIONS.map((m) => m.version))).toBeGreaterThan(1)
  })

  it('when the database is new then every migration of every list is applied in order and recorded', () => {
    const db = open(freshDir())
    expect(migrateSqlite(db)).toEqual({ applied: VERSIONS, current: LATEST })
    expect(recorded(db)).toEqual(ALL.map((m) => ({ version: m.version, name: m.name })))
    expect(tables(db)).toEqual(
      expect.arrayContaining(['users', 'sessions', 'canvases', 'canvas_members', 'op_log', 'op_log_heads']),
    )
  })

  it('when migrate runs again, in the same or a new connection, then nothing is applied and data is kept', () => {
    const dir = freshDir()
    const db = open(dir)
    migrateSqlite(db)
    db.prepare(
      "INSERT INTO users (id, email, username, password_hash, created_at) VALUES ('u1', 'a@b.io', 'a', 'h', 'now')",
    ).run()
    expect(migrateSqlite(db)).toEqual({ applied: [], current: LATEST })
    db.close()

    const reopened = open(dir)
    expect(migrateSqlite(reopened)).toEqual({ applied: [], current: LATEST })
    expect(recorded(reopened).map((r) => r.version)).toEqual(VERSIONS)
    expect(reopened.prepare('SELECT email FROM users').all()).toEqual([{ email: 'a@b.io' }])
  })

  it('when a migration fails then its transaction rolls back and it is not recorded', () => {
    const db = open(freshDir())
    migrateSqlite(db)
    const broken = {
      version: LATEST + 1,
      name: 'broken',
      sql: 'CREATE TABLE half_done (x); SELECT * FROM no_such_table;',
    }
    expect(() => migrate(db, ...SQLITE_MIGRATIONS, [broken])).toThrow(/no_such_table/)
    expect(tables(db)).not.toContain('half_done')
    expect(recorded(db).map((r) => r.version)).toEqual(VERSIONS)
    expect(migrateSqlite(db)).toEqual({ applied: [], current: LATEST })
  })

  it('when two lists claim the same version then migrate refuses before touching the database', () => {
    const db = open(freshDir())
    const clash = { version: 1, name: 'clash', sql: 'CREATE TABLE clash (x)' }
    expect(() => migrate(db, STORE_MIGRATIONS, [clash])).toThrow(/two migrations have version 1/)
    expect(tables(db)).toEqual([])
  })

  it('when a database created by the migrations as released before the split (one list in the store) is opened, then nothing is applied, every row is kept, and its schema equals a fresh database', () => {
    const dir = freshDir()
    // The old runner, as it ran: its table, then each migration in a transaction, recorded.
    const old = new Database(path.join(dir, SQLITE_FILE_NAME))
    old.pragma('journal_mode = WAL')
    // Its text exactly (the schema comparison below reads it back from sqlite_master).
    old.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`)
    for (const m of LEGACY_MIGRATIONS) {
      old.transaction(() => {
        old.exec(m.sql)
        old
          .prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)')
          .run(m.version, m.name, '2026-01-01T00:00:00Z')
      })()
    }
    old.exec(`
      INSERT INTO users VALUES ('u1', 'a@b.io', 'a', 'h', 'now');
      INSERT INTO sessions VALUES ('t1', 'u1', 0, 1);
      INSERT INTO canvases VALUES ('c1', 'n', 'u1', 'now', 'now');
      INSERT INTO op_log VALUES ('c1', 1, 'op-1', 'u1', 5, '{}'), ('c1', 2, 'op-2', 'u1', 6, '{}');
      INSERT INTO op_log_heads VALUES ('c1', 2);
      INSERT INTO canvas_snapshots VALUES ('c1', 1, '[]', 7);
    `)
    old.close()

    const db = open(dir)
    // Nothing released is applied again; only what came after the released ones.
    const released = new Set(LEGACY_MIGRATIONS.map((m) => m.version))
    expect(migrateSqlite(db)).toEqual({ applied: VERSIONS.filter((v) => !released.has(v)), current: LATEST })
    expect(db.prepare('SELECT canvas_id, seq, op_id FROM op_log ORDER BY seq').all()).toEqual([
      { canvas_id: 'c1', seq: 1, op_id: 'op-1' },
      { canvas_id: 'c1', seq: 2, op_id: 'op-2' },
    ])
    expect(db.prepare('SELECT head_seq FROM op_log_heads').pluck().get()).toBe(2)
    expect(db.prepare('SELECT seq FROM canvas_snapshots').pluck().get()).toBe(1)
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    const fresh = open(freshDir())
    migrateSqlite(fresh)
    expect(schema(db)).toEqual(schema(fresh))
  })
})

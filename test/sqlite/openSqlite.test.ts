import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it, onTestFinished } from 'vitest'
import { LOG_MIGRATIONS } from '../../src/log/sqlite/migrations.js'
import { migrateSqlite } from '../../src/server/deps.js'
import { migrate } from '../../src/sqlite/migrate.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { openSqlite, SQLITE_FILE_NAME, type SqliteDb } from '../../src/sqlite/openSqlite.js'
import { tempDir } from '../support/tempDir.js'

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

describe('openSqlite pragmas', () => {
  const pragma = (db: SqliteDb, name: string): unknown => db.pragma(name, { simple: true })

  it('[D3] when a database is created then it is WAL with synchronous FULL, foreign keys on and a busy timeout', () => {
    const db = open(freshDir())
    expect(pragma(db, 'journal_mode')).toBe('wal')
    expect(pragma(db, 'synchronous')).toBe(2)
    expect(pragma(db, 'foreign_keys')).toBe(1)
    expect(pragma(db, 'busy_timeout')).toBe(5000)
  })

  it('[D3] when an existing WAL database is reopened then synchronous is FULL again', () => {
    const dir = freshDir()
    const first = open(dir)
    migrateSqlite(first)
    first.close()

    // The trap this guards against: the driver alone reopens a WAL database as NORMAL (1).
    const raw = new Database(path.join(dir, SQLITE_FILE_NAME))
    const rawSynchronous: unknown = raw.pragma('synchronous', { simple: true })
    raw.close()
    expect(rawSynchronous).toBe(1)

    for (let i = 0; i < 2; i++) {
      const db = open(dir)
      expect(pragma(db, 'journal_mode')).toBe('wal')
      expect(pragma(db, 'synchronous')).toBe(2)
      expect(pragma(db, 'foreign_keys')).toBe(1)
      db.close()
    }
  })

  it('when a row points at a missing user then the foreign key refuses it', () => {
    const db = open(freshDir())
    migrateSqlite(db)
    expect(() =>
      db
        .prepare(
          "INSERT INTO canvases (id, name, owner_id, created_at, updated_at) VALUES ('c', 'n', 'ghost', 'now', 'now')",
        )
        .run(),
    ).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }))
  })

  it('when a user row is deleted then their sessions, canvases and memberships go with it', () => {
    const db = open(freshDir())
    migrateSqlite(db)
    db.exec(`
      INSERT INTO users (id, email, username, password_hash, created_at)
        VALUES ('u1', 'a@b.io', 'a', 'h', 'now'), ('u2', 'c@d.io', 'c', 'h', 'now');
      INSERT INTO sessions VALUES ('t1', 'u1', 0, 1);
      INSERT INTO canvases VALUES ('c1', 'n', 'u1', 'now', 'now'), ('c2', 'n', 'u2', 'now', 'now');
      INSERT INTO canvas_members VALUES ('c2', 'u1', 'editor', 'now');
      DELETE FROM users WHERE id = 'u1';
    `)
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    expect([count('sessions'), count('canvases'), count('canvas_members')]).toEqual([0, 1, 0])
  })

  it('[ST6] when a database holds usernames equal but for case or width then migrating renames the later ones, never fails, and the names stay unique', () => {
    const db = open(freshDir())
    migrate(
      db,
      STORE_MIGRATIONS.filter((m) => m.version < 3),
      LOG_MIGRATIONS.filter((m) => m.version < 3),
    )
    db.exec(`
      INSERT INTO users (id, email, username, password_hash, created_at) VALUES
        ('u1', 'a@x.io', 'Ada', 'h', '2026-01-01'),
        ('u2', 'b@x.io', 'ada', 'h', '2026-01-02'),
        ('u3', 'c@x.io', 'ＡＤＡ', 'h', '2026-01-03'),
        ('u4', 'd@x.io', 'ada (2)', 'h', '2026-01-04'),
        ('u5', 'e@x.io', 'Grace', 'h', '2026-01-05');
    `)
    expect(migrateSqlite(db).applied).toContain(3)
    const names = db.prepare('SELECT id, username FROM users ORDER BY id').all()
    expect(names).toEqual([
      { id: 'u1', username: 'Ada' },
      { id: 'u2', username: 'ada (2)' },
      { id: 'u3', username: 'ＡＤＡ (3)' },
      { id: 'u4', username: 'ada (2) (2)' },
      { id: 'u5', username: 'Grace' },
    ])
    expect(() =>
      db.exec(
        "INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES ('u6', 'f@x.io', 'GRACE', 'grace', 'h', 'now')",
      ),
    ).toThrow(/UNIQUE/)
  })
})

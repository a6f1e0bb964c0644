import { describe, expect, it, onTestFinished } from 'vitest'
import { migrate } from '../../src/sqlite/migrate.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { SqliteIdentityStore } from '../../src/store/sqlite/sqliteIdentityStore.js'
import { registerIdentityStoreContractTests } from '../contract/identityStore.contract.js'
import { tempDir } from '../support/tempDir.js'

registerIdentityStoreContractTests({
  name: 'sqlite',
  create: ({ now }) => {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrate(db, STORE_MIGRATIONS)
    const store = new SqliteCanvasStore(db, now)
    return Promise.resolve({
      identities: new SqliteIdentityStore(db, now),
      store,
      dispose: async () => {
        await store.close()
        db.close()
        dir.remove()
      },
    })
  },
})

describe('migration 30 in SQLite', () => {
  it('[ID4] when a database with accounts is migrated then every row stays and a password becomes optional', () => {
    const dir = tempDir()
    onTestFinished(() => dir.remove())
    const db = openSqlite(dir.path)
    onTestFinished(() => {
      db.close()
    })
    migrate(
      db,
      STORE_MIGRATIONS.filter((m) => m.version < 30),
    )
    db.exec(`
      INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES ('u1', 'a@b.io', 'a', 'a', 'h', 'now');
      INSERT INTO sessions VALUES ('t1', 'u1', 0, 1);
      INSERT INTO canvases VALUES ('c1', 'n', 'u1', 'now', 'now');
    `)
    expect(migrate(db, STORE_MIGRATIONS).applied).toEqual([30])
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1)
    expect(db.prepare('SELECT count(*) FROM canvases').pluck().get()).toBe(1)
    db.prepare(
      "INSERT INTO users (id, email, username, username_key, password_hash, created_at) VALUES ('u2', 'c@d.io', 'c', 'c', NULL, 'now')",
    ).run()
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.pragma('foreign_key_check')).toEqual([])
  })
})

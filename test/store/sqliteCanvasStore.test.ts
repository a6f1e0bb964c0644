import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it, onTestFinished } from 'vitest'
import { AppError } from '../../src/protocol/appError.js'
import { migrate, openSqlite, SQLITE_FILE_NAME } from '../../src/store/sqlite/openSqlite.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { toStoreError } from '../../src/store/sqlite/sqliteErrors.js'
import { registerCanvasStoreContractTests } from '../contract/canvasStore.contract.js'
import { testClock } from '../support/clock.js'
import { tempDir } from '../support/tempDir.js'

registerCanvasStoreContractTests({
  name: 'sqlite',
  create: ({ now, limits }) => {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrate(db)
    const store = new SqliteCanvasStore(db, now, limits)
    return Promise.resolve({
      store,
      makeUnavailable: () => Promise.resolve(void db.close()),
      dispose: async () => {
        await store.close()
        db.close()
        dir.remove()
      },
    })
  },
})

/** A migrated SQLite store in its own directory, closed and deleted when the test ends. */
function sqliteStore() {
  const dir = tempDir()
  const clock = testClock()
  const db = openSqlite(dir.path)
  migrate(db)
  onTestFinished(() => {
    if (db.open) db.close()
    dir.remove()
  })
  return { dir, db, clock, store: new SqliteCanvasStore(db, clock.now) }
}

describe('SqliteCanvasStore', () => {
  it('when the database is reopened then users, sessions, canvases and members are all there', async () => {
    const { dir, db, clock, store } = sqliteStore()
    const owner = await store.createUser({ email: 'o@example.test', username: 'o', passwordHash: 'h' })
    const member = await store.createUser({ email: 'm@example.test', username: 'm', passwordHash: 'h' })
    await store.createSession({ tokenHash: 'tok', userId: owner.id, expiresAt: clock.now() + 1000 })
    const canvas = await store.createCanvas({ name: 'kept', ownerId: owner.id })
    await store.upsertMember(canvas.id, member.id, 'editor')
    db.close()

    const reopened = openSqlite(dir.path)
    onTestFinished(() => {
      reopened.close()
    })
    expect(migrate(reopened).applied).toEqual([])
    const again = new SqliteCanvasStore(reopened, clock.now)
    expect(await again.findUserByEmail('o@example.test')).toMatchObject({ id: owner.id, passwordHash: 'h' })
    expect(await again.findSession('tok', clock.now())).toEqual({
      userId: owner.id,
      expiresAt: clock.now() + 1000,
    })
    expect(await again.getCanvasForUser(canvas.id, member.id)).toEqual({ ...canvas, role: 'editor' })
  })

  it('[ST3] when a canvas is deleted then no membership row is left behind', async () => {
    const { db, store } = sqliteStore()
    const owner = await store.createUser({ email: 'o@example.test', username: 'o', passwordHash: 'h' })
    const member = await store.createUser({ email: 'm@example.test', username: 'm', passwordHash: 'h' })
    const canvas = await store.createCanvas({ name: 'c', ownerId: owner.id })
    await store.upsertMember(canvas.id, member.id, 'viewer')
    await store.deleteCanvas(canvas.id)
    expect(db.prepare('SELECT COUNT(*) AS n FROM canvas_members').get()).toEqual({ n: 0 })
  })

  it('[ST4] when another connection holds the write lock then writes fail as storage_unavailable, not SQLITE_BUSY', async () => {
    const { dir, db, store } = sqliteStore()
    const owner = await store.createUser({ email: 'o@example.test', username: 'o', passwordHash: 'h' })
    const other = new Database(path.join(dir.path, SQLITE_FILE_NAME))
    onTestFinished(() => {
      other.close()
    })
    // Without waiting: the default 5 s busy timeout would only make the test slow.
    db.pragma('busy_timeout = 0')
    other.exec('BEGIN EXCLUSIVE')
    try {
      for (const write of [
        () => store.createUser({ email: 'x@example.test', username: 'x', passwordHash: 'h' }),
        () => store.createCanvas({ name: 'c', ownerId: owner.id }),
        () => store.createSession({ tokenHash: 't', userId: owner.id, expiresAt: 1 }),
      ]) {
        const err: unknown = await write().then(
          () => new Error('write succeeded under an exclusive lock'),
          (e: unknown) => e,
        )
        expect(err).toBeInstanceOf(AppError)
        expect((err as AppError).code).toBe('storage_unavailable')
        expect((err as AppError).cause).toBeInstanceOf(Database.SqliteError)
      }
    } finally {
      other.exec('ROLLBACK')
    }
    // Reads go on in WAL mode, and writes resume once the lock is gone.
    expect(await store.getUser(owner.id)).toMatchObject({ id: owner.id })
    await expect(store.createCanvas({ name: 'after', ownerId: owner.id })).resolves.toMatchObject({
      name: 'after',
    })
  })

  it.each([
    ['SQLITE_FULL', 'storage_full'],
    ['SQLITE_IOERR_FSYNC', 'storage_unavailable'],
    ['SQLITE_BUSY', 'storage_unavailable'],
    ['SQLITE_CORRUPT', 'storage_unavailable'],
  ] as const)('[ST4] when SQLite fails with %s then the store reports %s', (sqliteCode, code) => {
    const driverError = new Database.SqliteError('driver message', sqliteCode)
    const err = toStoreError(driverError)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe(code)
    expect(err.message).not.toContain('driver message')
    expect(err.cause).toBe(driverError)
  })

  it('[ST4] when the error is not from the driver then it propagates unchanged (a bug, not an outage)', () => {
    const bug = new RangeError('bug')
    expect(toStoreError(bug)).toBe(bug)
  })
})

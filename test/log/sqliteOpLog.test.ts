import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { LogEntry, OpInput } from '../../src/core/room/logEntry.js'
import { SqliteOpLog, type SqliteOpLogOptions } from '../../src/log/sqlite/sqliteOpLog.js'
import { LOG_MIGRATIONS } from '../../src/log/sqlite/migrations.js'
import { migrate } from '../../src/sqlite/migrate.js'
import { openSqlite, SQLITE_FILE_NAME, type SqliteDb } from '../../src/sqlite/openSqlite.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { registerOpLogContractTests } from '../contract/opLog.contract.js'
import { testClock } from '../support/clock.js'
import { tempDir } from '../support/tempDir.js'

interface SqliteHarness {
  readonly log: SqliteOpLog
  readonly db: SqliteDb
  readonly dir: string
  readonly walFile: string
  newCanvas(): Promise<string>
  deleteCanvas(canvasId: string): Promise<boolean>
  reopen(): Promise<SqliteOpLog>
  openAnother(): Promise<SqliteOpLog>
  cleanup(): Promise<void>
}

/** A migrated database in a fresh temp dir, opened the way the server opens it. */
function sqliteHarness(now: () => number, options: SqliteOpLogOptions = {}): SqliteHarness {
  const dir = tempDir()
  let db = openSqlite(dir.path)
  migrate(db, STORE_MIGRATIONS, LOG_MIGRATIONS)
  let log = new SqliteOpLog(db, now, options)
  let store = new SqliteCanvasStore(db, now)
  let ownerId: string | undefined
  let cleaned = false
  // Other processes' connections to the same file (openAnother).
  const others: { db: SqliteDb; log: SqliteOpLog }[] = []
  return {
    get log() {
      return log
    },
    get db() {
      return db
    },
    dir: dir.path,
    walFile: path.join(dir.path, `${SQLITE_FILE_NAME}-wal`),
    async newCanvas() {
      ownerId ??= (
        await store.createUser({
          email: `${randomUUID()}@example.test`,
          // Unique [ST5]: canvases made at once may each create an owner.
          username: `owner ${randomUUID()}`,
          passwordHash: 'x',
        })
      ).id
      return (await store.createCanvas({ name: 'log test', ownerId })).id
    },
    deleteCanvas: (canvasId) => store.deleteCanvas(canvasId),
    async reopen() {
      await log.close()
      db.close()
      db = openSqlite(dir.path)
      migrate(db, STORE_MIGRATIONS, LOG_MIGRATIONS)
      log = new SqliteOpLog(db, now, options)
      store = new SqliteCanvasStore(db, now)
      return log
    },
    openAnother() {
      const otherDb = openSqlite(dir.path)
      const other = { db: otherDb, log: new SqliteOpLog(otherDb, now, options) }
      others.push(other)
      return Promise.resolve(other.log)
    },
    async cleanup() {
      if (cleaned) return
      cleaned = true
      for (const other of others) {
        await other.log.close()
        other.db.close()
      }
      await log.close()
      db.close()
      dir.remove()
    },
  }
}

registerOpLogContractTests({
  name: 'sqlite',
  durable: true,
  shared: true,
  create: ({ now }) => Promise.resolve(sqliteHarness(now)),
})

function start(options: SqliteOpLogOptions = {}): SqliteHarness {
  const h = sqliteHarness(testClock().now, options)
  onTestFinished(() => h.cleanup())
  return h
}

const input = (opId: string, text = ''): OpInput => ({
  opId,
  userId: 'user-1',
  op: { kind: 'create', object: { id: opId, type: 'text', text } },
})

const count = (db: SqliteDb, table: string, canvasId: string): number =>
  db.prepare<[string], number>(`SELECT count(*) FROM ${table} WHERE canvas_id = ?`).pluck().get(canvasId) ??
  -1

/** Settles every promise, so a test can look at each outcome of one batch. */
const settle = (appends: Promise<LogEntry[]>[]) => Promise.allSettled(appends)

describe('SqliteOpLog', () => {
  it('[SQL1][D3] when the database is reopened, then the log connection runs synchronous=FULL without inline checkpoints', async () => {
    const h = start()
    const canvas = await h.newCanvas()
    await h.log.append(canvas, [input('a')])
    await h.reopen()
    expect(h.db.pragma('synchronous', { simple: true })).toBe(2)
    expect(h.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
    expect(h.db.pragma('journal_mode', { simple: true })).toBe('wal')
    await h.log.close()
    // The borrowed handle goes back as it came: open, with SQLite's auto-checkpoint.
    expect(h.db.open).toBe(true)
    expect(h.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
  })

  it('[SQL1][D3] when given a connection with synchronous=NORMAL, then the log refuses it', () => {
    const h = start()
    const raw = new Database(path.join(h.dir, SQLITE_FILE_NAME))
    onTestFinished(() => {
      raw.close()
    })
    raw.pragma('synchronous = NORMAL')
    expect(() => new SqliteOpLog(raw)).toThrow(/synchronous=FULL/)
  })

  it('[SQL2] when a canvas is deleted, then its entries, head and snapshot go with it and other canvases stay', async () => {
    const h = start()
    const [gone, kept] = [await h.newCanvas(), await h.newCanvas()]
    await h.log.append(gone, [input('a'), input('b')])
    await h.log.append(kept, [input('c')])
    await h.log.saveSnapshot(gone, { seq: 2, objects: [] })
    expect(await h.deleteCanvas(gone)).toBe(true)
    expect([count(h.db, 'op_log', gone), count(h.db, 'op_log_heads', gone)]).toEqual([0, 0])
    expect(count(h.db, 'canvas_snapshots', gone)).toBe(0)
    expect(await h.log.headSeq(gone)).toBe(0)
    expect(await h.log.loadSnapshot(gone)).toBeUndefined()
    expect((await h.log.readAfter(kept, 0)).map((e) => e.opId)).toEqual(['c'])
  })

  it('[SQL3] when one call of a batch names a canvas that does not exist, then only that call fails, with not_found', async () => {
    const h = start()
    const [a, b] = [await h.newCanvas(), await h.newCanvas()]
    const before = h.log.stats.transactions
    const [onA, onMissing, onB] = await settle([
      h.log.append(a, [input('a1')]),
      h.log.append('no-such-canvas', [input('x')]),
      h.log.append(b, [input('b1'), input('b2')]),
    ])
    expect(onA).toMatchObject({ status: 'fulfilled', value: [{ seq: 1, opId: 'a1' }] })
    expect(onMissing).toMatchObject({ status: 'rejected', reason: { code: 'not_found' } })
    expect(onB).toMatchObject({ status: 'fulfilled', value: [{ seq: 1 }, { seq: 2 }] })
    expect(h.log.stats.transactions - before).toBe(1)
    await expect(h.log.saveSnapshot('no-such-canvas', { seq: 1, objects: [] })).rejects.toMatchObject({
      code: 'not_found',
    })
  })

  it('[SQL4][LOG2][D5] when the disk fills during a batch, then every call of it fails with storage_full and none is stored', async () => {
    const h = start()
    const [a, b] = [await h.newCanvas(), await h.newCanvas()]
    await h.log.append(a, [input('kept')])
    const pages = h.db.pragma('page_count', { simple: true }) as number
    h.db.pragma(`max_page_count = ${pages + 2}`)
    const outcomes = await settle([
      h.log.append(a, [input('small')]),
      h.log.append(b, [input('big', 'x'.repeat(64 * 1024))]),
      h.log.append(b, [input('small too')]),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected'])
    for (const o of outcomes) expect(o).toMatchObject({ reason: { code: 'storage_full' } })
    expect(h.log.stats.failedTransactions).toBe(1)
    expect([await h.log.headSeq(a), await h.log.headSeq(b)]).toEqual([1, 0])
    expect((await h.log.readAfter(a, 0)).map((e) => e.opId)).toEqual(['kept'])
    // Space is back: the next batch commits and seqs carry on without a gap [LOG1].
    h.db.pragma('max_page_count = 1073741823')
    const [onA, onB] = await Promise.all([h.log.append(a, [input('later')]), h.log.append(b, [input('b')])])
    expect([onA[0]?.seq, onB[0]?.seq]).toEqual([2, 1])
  })

  it('[SQL4][LOG2] when the database refuses writes, then the batch fails with storage_unavailable and reads still work', async () => {
    const h = start()
    const canvas = await h.newCanvas()
    await h.log.append(canvas, [input('a')])
    h.db.pragma('query_only = ON')
    const outcomes = await settle([h.log.append(canvas, [input('b')]), h.log.append(canvas, [input('c')])])
    for (const o of outcomes)
      expect(o).toMatchObject({ status: 'rejected', reason: { code: 'storage_unavailable' } })
    expect((await h.log.readAfter(canvas, 0)).map((e) => e.opId)).toEqual(['a'])
    h.db.pragma('query_only = OFF')
    expect((await h.log.append(canvas, [input('d')]))[0]?.seq).toBe(2)
  })

  it('[SQL5][LOG5] when 1000 appends arrive in one turn, then one transaction commits them; awaited appends take one each', async () => {
    const h = start()
    const canvases = [await h.newCanvas(), await h.newCanvas()]
    const before = h.log.stats
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => h.log.append(canvases[i % 2] as string, [input(`o${i}`)])),
    )
    expect(h.log.stats.transactions - before.transactions).toBe(1)
    expect(h.log.stats.entries - before.entries).toBe(1000)
    for (let i = 0; i < 20; i++) await h.log.append(canvases[0] as string, [input(`seq-${i}`)])
    expect(h.log.stats.transactions - before.transactions).toBe(21)
  })

  it('[SQL5][LOG5] when a turn queues more than maxBatchEntries, then it commits in full batches with gapless seqs', async () => {
    const h = start({ maxBatchEntries: 100 })
    const canvas = await h.newCanvas()
    const before = h.log.stats.transactions
    const results = await Promise.all(
      Array.from({ length: 250 }, (_, i) => h.log.append(canvas, [input(`o${i}`)])),
    )
    expect(h.log.stats.transactions - before).toBe(3)
    expect(results.flat().map((e) => e.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1))
  })

  describe('checkpointing off the event loop [SQL6][D6]', () => {
    const CAP_BYTES = 512 * 1024
    // ~50 rows of 2 KB: a few hundred KB of WAL frames per round.
    const writeRound = (h: SqliteHarness, canvas: string, round: number) =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.log.append(canvas, [input(`r${round}-${i}`, 'y'.repeat(2000))]),
        ),
      )
    const walBytes = (h: SqliteHarness) => fs.statSync(h.walFile).size

    it('when the checkpointer runs between bursts of writes, then the WAL file stays under its cap', async () => {
      const h = start({ checkpoint: { intervalMs: 0, walCapBytes: CAP_BYTES } })
      const canvas = await h.newCanvas()
      let largest = 0
      for (let round = 0; round < 20; round++) {
        await writeRound(h, canvas, round)
        largest = Math.max(largest, walBytes(h))
        const result = await h.log.checkpointNow()
        expect(result).toMatchObject({ mode: 'PASSIVE', complete: true })
      }
      expect(largest).toBeLessThan(CAP_BYTES)
      expect(h.log.stats.checkpoints).toBe(20)
      expect(await h.log.headSeq(canvas)).toBe(1000)
    })

    it('when nothing checkpoints, then the same writes grow the WAL past the cap (the test above can fail)', async () => {
      const h = start({ checkpoint: { intervalMs: 0, walCapBytes: CAP_BYTES } })
      const canvas = await h.newCanvas()
      for (let round = 0; round < 20; round++) await writeRound(h, canvas, round)
      expect(walBytes(h)).toBeGreaterThan(4 * CAP_BYTES)
      // Over the cap, a checkpoint escalates to TRUNCATE and empties the WAL file.
      expect(await h.log.checkpointNow()).toMatchObject({
        mode: 'TRUNCATE',
        complete: true,
        walBytesAfter: 0,
      })
      expect(h.log.stats).toMatchObject({ truncations: 1, walBytes: 0 })
    })

    it('when a long-lived read transaction is open, then the WAL grows past the cap until it ends, then truncates', async () => {
      const h = start({ checkpoint: { intervalMs: 0, walCapBytes: CAP_BYTES, busyTimeoutMs: 10 } })
      const canvas = await h.newCanvas()
      await writeRound(h, canvas, 0)
      const reader = new Database(path.join(h.dir, SQLITE_FILE_NAME), { readonly: true })
      onTestFinished(() => {
        reader.close()
      })
      reader.exec('BEGIN')
      expect(reader.prepare('SELECT count(*) FROM op_log').pluck().get()).toBe(50)
      for (let round = 1; round < 20; round++) {
        await writeRound(h, canvas, round)
        // The reader's snapshot pins the frames after it: no checkpoint can finish.
        expect(await h.log.checkpointNow()).toMatchObject({ complete: false })
      }
      expect(walBytes(h)).toBeGreaterThan(4 * CAP_BYTES)
      expect(h.log.stats.incompleteCheckpoints).toBe(19)
      reader.exec('COMMIT')
      expect(await h.log.checkpointNow()).toMatchObject({
        mode: 'TRUNCATE',
        complete: true,
        walBytesAfter: 0,
      })
    })

    it('when commits keep arriving while checkpoints run, then RESTART lets the WAL start over and no append is lost', async () => {
      const h = start({ checkpoint: { intervalMs: 0, restartFrames: 20, walCapBytes: 64 * 1024 * 1024 } })
      const canvas = await h.newCanvas()
      const seqs: number[] = []
      let largest = 0
      for (let round = 0; round < 10; round++) {
        await writeRound(h, canvas, round)
        // Commits one by one while the worker copies, and while it asks for the write lock.
        const checkpoint = h.log.checkpointNow()
        for (let i = 0; i < 100; i++)
          seqs.push(...(await h.log.append(canvas, [input(`c${round}-${i}`)])).map((e) => e.seq))
        expect(await checkpoint).toMatchObject({ mode: 'RESTART', complete: true })
        largest = Math.max(largest, walBytes(h))
      }
      expect(h.log.stats.restarts).toBe(10)
      // Ten rounds of writes without a restart would hold well over 4 MiB.
      expect(largest).toBeLessThan(2 * 1024 * 1024)
      expect(await h.log.headSeq(canvas)).toBe(1500)
      expect(new Set(seqs).size).toBe(1000)
      // Nothing committed since the last RESTART: the next commit starts the WAL over anyway.
      await h.log.checkpointNow()
      expect(await h.log.checkpointNow()).toMatchObject({ mode: 'PASSIVE', complete: true })
    })

    it('when given an interval, then checkpoints run without being asked', async () => {
      const h = start({ checkpoint: { intervalMs: 20 } })
      const canvas = await h.newCanvas()
      await writeRound(h, canvas, 0)
      await expect.poll(() => h.log.stats.checkpoints, { timeout: 5000 }).toBeGreaterThanOrEqual(2)
      expect(h.log.stats.checkpointErrors).toBe(0)
    })

    it('when the checkpoint worker cannot open the database, then the log reports it and goes back to inline checkpoints', async () => {
      const dir = tempDir()
      const db = openSqlite(dir.path)
      migrate(db, STORE_MIGRATIONS, LOG_MIGRATIONS)
      // The open connection keeps its file descriptors; the worker finds nothing at the path.
      const moved = `${dir.path}-moved`
      fs.renameSync(dir.path, moved)
      onTestFinished(() => {
        db.close()
        fs.rmSync(moved, { recursive: true, force: true })
      })
      const errors: Error[] = []
      const log = new SqliteOpLog(db, Date.now, { onCheckpointError: (e) => errors.push(e) })
      onTestFinished(() => log.close())
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
      await log.checkpointerStarted()
      await expect.poll(() => errors.length).toBe(1)
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
      expect(log.stats.checkpointErrors).toBe(1)
      await expect(log.checkpointNow()).rejects.toThrow()
    })
  })
})

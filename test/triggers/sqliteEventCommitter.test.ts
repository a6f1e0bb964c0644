import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SqliteOpLog } from '../../src/log/sqlite/sqliteOpLog.js'
import { AppError } from '../../src/protocol/appError.js'
import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { WriteLockGate } from '../../src/sqlite/writeLockGate.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { SqliteEventCommitter } from '../../src/triggers/sqlite/sqliteEventCommitter.js'
import { SqliteTriggerStore } from '../../src/triggers/sqlite/sqliteTriggerStore.js'
import type { NewEvent } from '../../src/triggers/triggerStore.js'
import { tempDir } from '../support/tempDir.js'

/** A migrated database with an op log and a trigger store whose events commit in a worker. */
async function harness() {
  const dir = tempDir()
  const db = openSqlite(dir.path)
  migrateSqlite(db)
  const gate = new WriteLockGate()
  const failures: { error: Error; fatal: boolean }[] = []
  const store = new SqliteTriggerStore(db, {
    writeGate: gate,
    eventWorker: { busyTimeoutMs: 5000, onWorkerFailure: (error, fatal) => failures.push({ error, fatal }) },
  })
  const opLog = new SqliteOpLog(db, Date.now, { writeGate: gate })
  const users = new SqliteCanvasStore(db, Date.now)
  const owner = await users.createUser({
    email: `${randomUUID()}@example.test`,
    username: randomUUID(),
    passwordHash: 'x',
  })
  const canvas = await users.createCanvas({ name: 'events', ownerId: owner.id })
  onTestFinished(async () => {
    await store.close()
    await opLog.close()
    db.close()
    dir.remove()
  })
  await store.eventWorkerStarted()
  const storedIds = () => new Set(db.prepare<[], string>('SELECT id FROM trigger_events').pluck().all())
  return { db, store, opLog, ownerId: owner.id, canvasId: canvas.id, failures, storedIds }
}

function events(ownerId: string, count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    ownerId,
    type: 'form.answered',
    payloadJson: JSON.stringify({ i }),
    createdAt: Date.now(),
  }))
}

describe('event commits in a worker thread [TRG1]', () => {
  it('when the worker dies during a burst, then every commit that resolved is stored, the ones in flight fail as storage_unavailable, and a restarted worker takes the next', async () => {
    const h = await harness()
    const batches = Array.from({ length: 400 }, () => events(h.ownerId, 20))
    const outcomes = batches.map((batch) =>
      h.store.insertEvents(batch).then(
        () => ({ ok: true as const, batch }),
        (error: unknown) => ({ ok: false as const, batch, error }),
      ),
    )
    await outcomes[0]
    await h.store.crashEventWorker()
    const settled = await Promise.all(outcomes)

    const stored = h.storedIds()
    const resolved = settled.filter((o) => o.ok)
    const failed = settled.filter((o) => !o.ok)
    expect(resolved.length).toBeGreaterThan(0)
    expect(failed.length).toBeGreaterThan(0)
    for (const o of resolved) for (const e of o.batch) expect(stored.has(e.id)).toBe(true)
    for (const o of failed) {
      expect(o.error).toBeInstanceOf(AppError)
      expect((o.error as AppError).code).toBe('storage_unavailable')
    }
    expect(h.failures).toMatchObject([{ fatal: false }])

    const after = events(h.ownerId, 5)
    await expect(h.store.insertEvents(after)).resolves.toHaveLength(5)
    const storedAfter = h.storedIds()
    for (const e of after) expect(storedAfter.has(e.id)).toBe(true)
  })

  it('when the worker cannot start again and again, then it is reported fatal and every commit fails loudly', async () => {
    const dir = tempDir()
    onTestFinished(() => dir.remove())
    const failures: boolean[] = []
    const committer = new SqliteEventCommitter(
      path.join(dir.path, 'missing', 'canvas.db'),
      new WriteLockGate(),
      {
        busyTimeoutMs: 100,
        onWorkerFailure: (_error, fatal) => failures.push(fatal),
      },
    )
    onTestFinished(() => committer.stop())
    await expect.poll(() => failures.at(-1), { timeout: 20_000 }).toBe(true)
    expect(failures.filter((fatal) => !fatal).length).toBeGreaterThan(0)
    await expect(committer.commit(events('someone', 1))).rejects.toMatchObject({
      code: 'storage_unavailable',
    })
  })

  it('when the worker commits back to back, then the main thread never meets the write lock: op log appends and store writes succeed with busy_timeout 0', async () => {
    const h = await harness()
    // Without the handshake a main-thread commit meeting the worker's lock fails SQLITE_BUSY at once.
    h.db.pragma('busy_timeout = 0')
    let producing = true
    const producers = Array.from({ length: 4 }, async () => {
      let n = 0
      while (producing) {
        await h.store.insertEvents(events(h.ownerId, 10))
        n += 1
      }
      return n
    })
    const appended: number[] = []
    for (let i = 0; i < 300; i++) {
      const [entry] = await h.opLog.append(h.canvasId, [
        {
          opId: randomUUID(),
          userId: h.ownerId,
          op: { kind: 'create', object: { id: randomUUID(), type: 'rect' } },
        },
      ])
      appended.push(entry?.seq ?? -1)
      if (i % 10 === 0) {
        const [first] = await h.store.listEvents(h.ownerId, { limit: 1, order: 'asc' }).then((p) => p.events)
        if (first !== undefined) expect(await h.store.ackEvent(h.ownerId, first.id, Date.now())).toBe(true)
      }
    }
    producing = false
    const commits = await Promise.all(producers)
    expect(appended).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    expect(commits.reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
  })
})

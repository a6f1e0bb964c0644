import { describe, expect, it, onTestFinished } from 'vitest'
import {
  createSqliteQueueBus,
  type SqliteQueueBus,
  type SqliteQueueTuning,
} from '../../src/log/sqlite/sqliteQueueBus.js'
import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { registerCanvasBusContractTests } from '../contract/canvasBus.contract.js'
import { tempDir } from '../support/tempDir.js'

const TTL_MS = 2_000

/** Two instances on one DATA_DIR; `b`'s clock can jump past the message TTL (a stalled process). */
function twoInstances(dataDir: string, headSeq: (canvasId: string) => Promise<number>) {
  const db = openSqlite(dataDir)
  migrateSqlite(db)
  db.close()
  let bOffset = 0
  const errors: unknown[] = []
  const make = (now: () => number): SqliteQueueBus =>
    createSqliteQueueBus({
      dataDir,
      headSeq,
      now,
      tuning: { messageTtlMs: TTL_MS, cursorBatchMs: 20 },
      onError: (err) => errors.push(err),
    })
  const a = make(Date.now)
  const b = make(() => Date.now() + bOffset)
  return {
    a,
    b,
    errors,
    stall: () => (bOffset += TTL_MS),
  }
}

registerCanvasBusContractTests({
  name: 'sqlite queue',
  canMiss: true,
  create: async ({ headSeq }) => {
    const dir = tempDir()
    const { a, b, stall } = twoInstances(dir.path, headSeq)
    return {
      a,
      b,
      interrupt: () => {
        stall()
        return Promise.resolve()
      },
      cleanup: async () => {
        await a.close()
        await b.close()
        dir.remove()
      },
    }
  },
})

describe('SQLite message queue (BUS=sqlite)', () => {
  const setUp = (tuning: Partial<SqliteQueueTuning>) => {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrateSqlite(db)
    const buses: SqliteQueueBus[] = []
    const make = () => {
      const bus = createSqliteQueueBus({
        dataDir: dir.path,
        headSeq: () => Promise.resolve(0),
        tuning,
        onError: () => undefined,
      })
      buses.push(bus)
      return bus
    }
    onTestFinished(async () => {
      for (const bus of buses) await bus.close()
      db.close()
      dir.remove()
    })
    return { db, make }
  }

  const listener = () => {
    const heads: number[] = []
    return {
      heads,
      committed: (_entries: unknown, head: number) => heads.push(head),
      notice: () => undefined,
      ephemeral: () => undefined,
    }
  }

  it('[SQ1] when polling is slower than the test and the wake-up is on, then a quiet instance still learns of a commit at once', async () => {
    // Polls a minute apart: only the doorbell (fs.watch on DATA_DIR/bus-doorbell) can deliver in time.
    const { make } = setUp({ pollIntervalMs: 60_000, pollIdleMs: 60_000, wakeUp: true })
    const a = make()
    const b = make()
    const heard = listener()
    b.subscribe('c1', heard)
    await b.ready('c1')
    const sentAt = Date.now()
    a.publishCommitted('c1', 1, [])
    await expect.poll(() => heard.heads, { timeout: 2_000, interval: 5 }).toEqual([1])
    expect(Date.now() - sentAt).toBeLessThan(1_000)
  })

  it('[SQ1] when the wake-up is off, then polling alone delivers', async () => {
    const { make } = setUp({ pollIntervalMs: 20, pollIdleMs: 20, wakeUp: false })
    const a = make()
    const b = make()
    const heard = listener()
    b.subscribe('c1', heard)
    a.publishCommitted('c1', 4, [])
    await expect.poll(() => heard.heads).toEqual([4])
  })

  it('[SQ2] when several commits of a turn are published, then they are written as queued rows with their type and a TTL, and watermarks are saved per instance', async () => {
    const { db, make } = setUp({ watermarkSaveMs: 100, messageTtlMs: 60_000 })
    const a = make()
    const b = make()
    const heard = listener()
    b.subscribe('c1', heard)
    a.publishCommitted('c1', 1, [])
    a.publishEphemeral('c1', { kind: 'cursors', cursors: [{ userId: 'u', x: 1, y: 1 }] })
    await expect.poll(() => heard.heads).toEqual([1])
    const rows = db
      .prepare(
        "SELECT message_type, expires_at - created_at AS ttl FROM message_queue WHERE canvas_id = 'c1'",
      )
      .all()
    expect(rows).toContainEqual({ message_type: 'committed', ttl: 60_000 })
    await expect
      .poll(() =>
        db.prepare("SELECT count(*) FROM message_queue WHERE message_type = 'cursors'").pluck().get(),
      )
      .toBe(1)
    await expect
      .poll(() =>
        db.prepare("SELECT server_instance_id FROM canvas_watermarks WHERE canvas_id = 'c1'").pluck().all(),
      )
      .toEqual([b.instanceId])
  })

  it('[SQ3] when messages outlive the TTL, then the cleanup job deletes them', async () => {
    const { db, make } = setUp({ messageTtlMs: 1_000, cleanupIntervalMs: 100 })
    const a = make()
    a.publishNotice('c1', { kind: 'deleted' })
    await expect.poll(() => db.prepare('SELECT count(*) FROM message_queue').pluck().get()).toBe(1)
    await expect
      .poll(() => db.prepare('SELECT count(*) FROM message_queue').pluck().get(), { timeout: 5_000 })
      .toBe(0)
  })

  it('[SQ4] when a live instance lags 1,000 messages, then health is warning; when its oldest unread is over 30 s old, critical', async () => {
    const { db, make } = setUp({ watermarkSaveMs: 100 })
    const a = make()
    expect(a.health()).toBe('ok')
    // Another instance, alive (it saved its watermark just now), that has read nothing of c9.
    const insert = db.prepare(
      "INSERT INTO message_queue (canvas_id, message_type, payload, created_at, expires_at) VALUES ('c9', 'hello', '{}', ?, ?)",
    )
    const now = Date.now()
    db.transaction(() => {
      for (let i = 0; i < 1_000; i++) insert.run(now, now + 60_000)
    })()
    const lagging = db.prepare(
      "INSERT INTO canvas_watermarks VALUES ('c9', 'slow-instance', 0, ?) ON CONFLICT DO UPDATE SET updated_at = excluded.updated_at",
    )
    lagging.run(Date.now())
    await expect.poll(() => a.health()).toBe('warning')
    expect(a.transport.queueStats()).toMatchObject({ size: 1_000, backlog: 1_000 })
    insert.run(now - 31_000, now + 60_000)
    lagging.run(Date.now())
    await expect.poll(() => a.health()).toBe('critical')
  })
})

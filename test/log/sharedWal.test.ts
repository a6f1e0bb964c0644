import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { OpInput } from '../../src/core/room/logEntry.js'
import { createSqliteQueueBus } from '../../src/log/sqlite/sqliteQueueBus.js'
import { SqliteOpLog } from '../../src/log/sqlite/sqliteOpLog.js'
import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite, SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { tempDir } from '../support/tempDir.js'

// BUS=sqlite: several processes commit to one WAL. Each runs its log's checkpoint worker; SQLite
// lets one checkpoint run at a time (the others get SQLITE_BUSY and back off), so the workers
// need no election, and the WAL stays bounded as long as any instance lives (docs/scaling.md, "WAL").

const WAL_CAP_BYTES = 64 * 1024 * 1024

const op = (i: number): OpInput => ({
  opId: `op-${i}`,
  userId: 'u',
  op: { kind: 'create', object: { id: `o${i}`, type: 'rect', x: i, y: i, width: 10, height: 10 } },
})

describe('one WAL shared by two instances', () => {
  it('[SQ5] when two instances append and queue at full speed, then the WAL stays under the cap and every entry is there once', async () => {
    const dir = tempDir()
    onTestFinished(() => dir.remove())
    const setup = openSqlite(dir.path)
    migrateSqlite(setup)
    const store = new SqliteCanvasStore(setup, Date.now)
    const user = await store.createUser({ email: 'w@example.test', username: 'w', passwordHash: 'x' })
    const canvas = await store.createCanvas({ name: 'wal', ownerId: user.id })
    setup.close()

    // Two instances: each its own connection, log (with its checkpoint worker) and queue bus.
    const instances = [0, 1].map(() => {
      const db = openSqlite(dir.path)
      const log = new SqliteOpLog(db, Date.now)
      const bus = createSqliteQueueBus({
        dataDir: dir.path,
        headSeq: (id) => log.headSeq(id),
        onError: () => undefined,
      })
      return { db, log, bus }
    })
    const walFile = path.join(dir.path, `${SQLITE_FILE_NAME}-wal`)
    let maxWal = 0
    const sampler = setInterval(() => {
      try {
        maxWal = Math.max(maxWal, fs.statSync(walFile).size)
      } catch {
        // Not there between a TRUNCATE and the next commit.
      }
    }, 5)
    const PER_INSTANCE = 6_000
    const BATCH = 20
    await Promise.all(
      instances.map(async ({ log, bus }, n) => {
        for (let i = 0; i < PER_INSTANCE; i += BATCH) {
          const inputs = Array.from({ length: BATCH }, (_, k) => op(n * PER_INSTANCE + i + k))
          const entries = await log.append(canvas.id, inputs)
          bus.publishCommitted(canvas.id, entries.at(-1)?.seq ?? 0, entries)
        }
      }),
    )
    clearInterval(sampler)
    const [first] = instances
    if (!first) throw new Error('no instance')
    const all = []
    for (let page = await first.log.readAfter(canvas.id, 0, 5_000); page.length > 0;) {
      all.push(...page)
      page = await first.log.readAfter(canvas.id, page.at(-1)?.seq ?? 0, 5_000)
    }
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 2 * PER_INSTANCE }, (_, i) => i + 1))
    expect(new Set(all.map((e) => e.opId)).size).toBe(2 * PER_INSTANCE)
    expect(maxWal).toBeGreaterThan(0)
    expect(maxWal, `largest WAL seen: ${(maxWal / 1024 / 1024).toFixed(1)} MiB`).toBeLessThan(WAL_CAP_BYTES)
    for (const { db, log, bus } of instances) {
      await bus.close()
      await log.close()
      db.close()
    }
  }, 120_000)
})

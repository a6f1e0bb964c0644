import { createSqliteQueueBus, type SqliteQueueBus } from '../../src/log/sqlite/sqliteQueueBus.js'
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

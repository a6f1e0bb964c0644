import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { LogEntry, OpInput } from '../../src/core/room/logEntry.js'
import { PG_LOG_MIGRATIONS } from '../../src/log/postgres/migrations.js'
import { PostgresOpLog, type PostgresOpLogOptions } from '../../src/log/postgres/postgresOpLog.js'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres, type PgPool } from '../../src/postgres/openPostgres.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { registerOpLogContractTests } from '../contract/opLog.contract.js'
import { testClock } from '../support/clock.js'
import { createTestSchema, terminateSchemaConnections, type TestSchema } from '../support/postgres.js'

interface PostgresHarness {
  readonly log: PostgresOpLog
  readonly pool: PgPool
  readonly schema: TestSchema
  newCanvas(): Promise<string>
  deleteCanvas(canvasId: string): Promise<boolean>
  reopen(): Promise<PostgresOpLog>
  openAnother(): Promise<PostgresOpLog>
  cleanup(): Promise<void>
}

/** A migrated schema of its own; every log (reopened or "another process") has its own pool. */
async function postgresHarness(
  now: () => number,
  options: PostgresOpLogOptions = {},
): Promise<PostgresHarness> {
  const schema = await createTestSchema()
  const open: { pool: PgPool; log: PostgresOpLog }[] = []
  const openLog = () => {
    const pool = openPostgres(schema.url, { onIdleError: () => undefined })
    const opened = { pool, log: new PostgresOpLog(pool, now, options) }
    open.push(opened)
    return opened
  }
  let current = openLog()
  await migratePostgres(current.pool, PG_STORE_MIGRATIONS, PG_LOG_MIGRATIONS)
  const store = () => new PostgresCanvasStore(current.pool, now)
  let ownerId: string | undefined
  let cleaned = false
  return {
    get log() {
      return current.log
    },
    get pool() {
      return current.pool
    },
    schema,
    async newCanvas() {
      ownerId ??= (
        await store().createUser({
          email: `${randomUUID()}@example.test`,
          username: `owner ${randomUUID()}`,
          passwordHash: 'x',
        })
      ).id
      return (await store().createCanvas({ name: 'log test', ownerId })).id
    },
    deleteCanvas: (canvasId) => store().deleteCanvas(canvasId),
    async reopen() {
      await current.log.close()
      current = openLog()
      return current.log
    },
    openAnother: () => Promise.resolve(openLog().log),
    async cleanup() {
      if (cleaned) return
      cleaned = true
      for (const { pool, log } of open) {
        await log.close()
        await pool.end()
      }
      await schema.drop()
    },
  }
}

registerOpLogContractTests({
  name: 'postgres',
  durable: true,
  shared: true,
  create: ({ now }) => postgresHarness(now),
})

async function start(options: PostgresOpLogOptions = {}): Promise<PostgresHarness> {
  const h = await postgresHarness(testClock().now, options)
  onTestFinished(() => h.cleanup())
  return h
}

const input = (opId: string, text = ''): OpInput => ({
  opId,
  userId: 'user-1',
  op: { kind: 'create', object: { id: opId, type: 'text', text } },
})

const count = async (pool: PgPool, table: string, canvasId: string): Promise<number> =>
  Number(
    (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE canvas_id = $1`, [canvasId]))
      .rows[0]?.n,
  )

/** Connections of the test's schema waiting for a lock. */
async function waitingForLocks(h: PostgresHarness): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
    [h.schema.name],
  )
  return rows[0]?.n ?? 0
}

const settle = (appends: Promise<LogEntry[]>[]) => Promise.allSettled(appends)

describe('PostgresOpLog', () => {
  it('[PG1] when a canvas is deleted, then its entries, head and snapshot go with it and other canvases stay', async () => {
    const h = await start()
    const [gone, kept] = [await h.newCanvas(), await h.newCanvas()]
    await h.log.append(gone, [input('a'), input('b')])
    await h.log.append(kept, [input('c')])
    await h.log.saveSnapshot(gone, { seq: 2, objects: [] })
    expect(await h.deleteCanvas(gone)).toBe(true)
    for (const table of ['op_log', 'op_log_heads', 'canvas_snapshots'])
      expect(await count(h.pool, table, gone)).toBe(0)
    expect(await h.log.headSeq(gone)).toBe(0)
    expect(await h.log.loadSnapshot(gone)).toBeUndefined()
    expect((await h.log.readAfter(kept, 0)).map((e) => e.opId)).toEqual(['c'])
  })

  it('[PG2] when one call of a batch names a canvas that does not exist, then only that call fails, with not_found', async () => {
    const h = await start()
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

  it('[PG3][LOG5] when 1000 appends arrive in one turn, then one transaction commits them; awaited appends take one each', async () => {
    const h = await start()
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

  it('[PG3][LOG5] when appends arrive while a commit is in flight, then they share the next commit, and a turn over maxBatchEntries is split between calls', async () => {
    const h = await start({ maxBatchEntries: 100 })
    const canvas = await h.newCanvas()
    const before = h.log.stats.transactions
    const first = h.log.append(canvas, [input('first')])
    // The first commit is in flight once its transaction has begun; these queue behind it.
    await new Promise((resolve) => setImmediate(resolve))
    const results = await Promise.all([
      first,
      ...Array.from({ length: 250 }, (_, i) => h.log.append(canvas, [input(`o${i}`)])),
    ])
    expect(h.log.stats.transactions - before).toBe(4)
    expect(results.flat().map((e) => e.seq)).toEqual(Array.from({ length: 251 }, (_, i) => i + 1))
  })

  it('[PG4][LOG2] when the backend is terminated during appends, then the batches in flight fail with storage_unavailable, and the next ones continue the seqs without a gap', async () => {
    const h = await start()
    const canvas = await h.newCanvas()
    await h.log.append(canvas, [input('kept')])
    // Holding the canvas's append lock from another connection keeps the next batch waiting
    // inside its transaction, where the termination finds it.
    const blocker = await h.pool.connect()
    await blocker.query('BEGIN')
    await blocker.query('SELECT 1 FROM op_log_heads WHERE canvas_id = $1 FOR UPDATE', [canvas])
    const stuck = settle([h.log.append(canvas, [input('lost 1')]), h.log.append(canvas, [input('lost 2')])])
    await expect.poll(() => waitingForLocks(h)).toBeGreaterThanOrEqual(1)
    blocker.on('error', () => undefined)
    await terminateSchemaConnections(h.schema)
    blocker.release(true)
    for (const o of await stuck)
      expect(o).toMatchObject({ status: 'rejected', reason: { code: 'storage_unavailable' } })
    expect(h.log.stats.failedTransactions).toBe(1)
    expect((await h.log.append(canvas, [input('after')]))[0]?.seq).toBe(2)
    expect((await h.log.readAfter(canvas, 0)).map((e) => e.opId)).toEqual(['kept', 'after'])
  })

  it('[PG5] when two processes commit batches that share canvases in opposite orders, then neither deadlocks and both commit', async () => {
    const h = await start()
    const canvases = await Promise.all(Array.from({ length: 6 }, () => h.newCanvas()))
    const other = await h.openAnother()
    const rounds = Array.from({ length: 20 }, (_, r) =>
      Promise.all([
        ...canvases.map((c) => h.log.append(c, [input(`a${r}`)])),
        ...[...canvases].reverse().map((c) => other.append(c, [input(`b${r}`)])),
      ]),
    )
    await Promise.all(rounds)
    for (const c of canvases) {
      expect((await h.log.readAfter(c, 0)).map((e) => e.seq)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      )
    }
  })
})

import { describe, expect, it, onTestFinished } from 'vitest'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres, type PgPool } from '../../src/postgres/openPostgres.js'
import type { AppError } from '../../src/protocol/appError.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { registerCanvasStoreContractTests } from '../contract/canvasStore.contract.js'
import { testClock } from '../support/clock.js'
import { createTestSchema, useTestSchema } from '../support/postgres.js'

/** A pool whose end() may be called by the test (makeUnavailable) and again by cleanup. */
function endOnce(pool: PgPool): () => Promise<void> {
  let ended: Promise<void> | undefined
  return () => (ended ??= pool.end())
}

registerCanvasStoreContractTests({
  name: 'postgres',
  create: async ({ now, limits }) => {
    const schema = await createTestSchema()
    const pool = openPostgres(schema.url, { onIdleError: () => undefined })
    const end = endOnce(pool)
    await migratePostgres(pool, PG_STORE_MIGRATIONS)
    const store = new PostgresCanvasStore(pool, now, limits)
    return {
      store,
      makeUnavailable: end,
      dispose: async () => {
        await store.close()
        await end()
        await schema.drop()
      },
    }
  },
})

describe('PostgresCanvasStore', () => {
  /** Two stores on two pools of one schema: two server processes sharing the database. */
  async function twoProcesses() {
    const schema = await useTestSchema()
    const clock = testClock()
    const pools = [0, 1].map(() => openPostgres(schema.url, { onIdleError: () => undefined }))
    onTestFinished(() => Promise.all(pools.map((p) => p.end())).then(() => undefined))
    await migratePostgres(pools[0]!, PG_STORE_MIGRATIONS)
    const limits = { maxCanvasesPerOwner: 5, maxMembersPerCanvas: 4 }
    return pools.map((p) => new PostgresCanvasStore(p, clock.now, limits))
  }

  it('[ST5][I1] when two processes race creates for one owner at the cap, then exactly the places left are taken', async () => {
    const [a, b] = (await twoProcesses()) as [PostgresCanvasStore, PostgresCanvasStore]
    const owner = await a.createUser({ email: 'o@example.test', username: 'o', passwordHash: 'h' })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).createCanvas({ name: `c${i}`, ownerId: owner.id }),
      ),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5)
    for (const o of outcomes)
      if (o.status === 'rejected') expect((o.reason as AppError).code).toBe('limit_exceeded')
    expect(await b.listCanvases(owner.id)).toHaveLength(5)
  })

  it('[ST5][I1] when two processes race member adds at the cap, then exactly the places left are taken', async () => {
    const [a, b] = (await twoProcesses()) as [PostgresCanvasStore, PostgresCanvasStore]
    const owner = await a.createUser({ email: 'o@example.test', username: 'o', passwordHash: 'h' })
    const canvas = await a.createCanvas({ name: 'team', ownerId: owner.id })
    const users = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        a.createUser({ email: `u${i}@example.test`, username: `u${i}`, passwordHash: 'h' }),
      ),
    )
    const outcomes = await Promise.allSettled(
      users.map((u, i) => (i % 2 ? a : b).upsertMember(canvas.id, u.id, 'editor')),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(4)
    for (const o of outcomes)
      if (o.status === 'rejected') expect((o.reason as AppError).code).toBe('limit_exceeded')
    expect(await b.listMembers(canvas.id)).toHaveLength(5)
  })

  it('[ST6] when two processes race one username in different cases, then one account wins', async () => {
    const [a, b] = (await twoProcesses()) as [PostgresCanvasStore, PostgresCanvasStore]
    const outcomes = await Promise.allSettled([
      a.createUser({ email: 'one@example.test', username: 'Grace', passwordHash: 'h' }),
      b.createUser({ email: 'two@example.test', username: 'grace', passwordHash: 'h' }),
    ])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({
      reason: { code: 'conflict', field: 'body.username' },
    })
  })
})

import { describe, expect, it, onTestFinished } from 'vitest'
import { AppError } from '../../src/protocol/appError.js'
import { inTransaction } from '../../src/postgres/inTransaction.js'
import { migratePostgres, type PgMigration } from '../../src/postgres/migrate.js'
import { openPostgres, type PgPool } from '../../src/postgres/openPostgres.js'
import { toStorageError } from '../../src/postgres/postgresErrors.js'
import {
  terminateSchemaConnections,
  terminateSchemaConnectionsSync,
  useTestSchema,
} from '../support/postgres.js'

const MIGRATIONS: readonly PgMigration[] = [
  { version: 1, name: 'things', sql: 'CREATE TABLE things (id INTEGER PRIMARY KEY)' },
  {
    version: 2,
    name: 'a thing',
    sql: 'ALTER TABLE things ADD COLUMN label TEXT',
    after: async (client) => {
      await client.query(`INSERT INTO things (id, label) VALUES (1, 'first')`)
    },
  },
]

function pool(url: string): PgPool {
  const p = openPostgres(url, { onIdleError: () => undefined })
  onTestFinished(() => p.end())
  return p
}

describe('migratePostgres', () => {
  it('when run twice then each migration is applied once and the second run applies nothing', async () => {
    const schema = await useTestSchema()
    const db = pool(schema.url)
    expect(await migratePostgres(db, MIGRATIONS)).toEqual({ applied: [1, 2], current: 2 })
    expect(await migratePostgres(db, MIGRATIONS)).toEqual({ applied: [], current: 2 })
    const { rows } = await db.query('SELECT id, label FROM things')
    expect(rows).toEqual([{ id: 1, label: 'first' }])
  })

  it('when several instances migrate one schema at once then every migration runs exactly once', async () => {
    const schema = await useTestSchema()
    const pools = [pool(schema.url), pool(schema.url), pool(schema.url), pool(schema.url)]
    const results = await Promise.all(pools.map((p) => migratePostgres(p, MIGRATIONS)))
    expect(results.flatMap((r) => r.applied).sort()).toEqual([1, 2])
    expect(results.map((r) => r.current)).toEqual([2, 2, 2, 2])
    const { rows } = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version')
    expect(rows).toEqual([{ version: 1 }, { version: 2 }])
  })

  it('when a migration fails then it is rolled back and not recorded, and the earlier ones stay', async () => {
    const schema = await useTestSchema()
    const db = pool(schema.url)
    const broken = [
      ...MIGRATIONS,
      { version: 3, name: 'broken', sql: 'CREATE TABLE half (id INT); SELECT nonsense' },
    ]
    await expect(migratePostgres(db, broken)).rejects.toBeInstanceOf(AppError)
    const { rows } = await db.query(`SELECT version FROM schema_migrations ORDER BY version`)
    expect(rows).toEqual([{ version: 1 }, { version: 2 }])
    const half = await db.query(`SELECT to_regclass('half') AS t`)
    expect(half.rows).toEqual([{ t: null }])
  })

  it('when two lists share a version then it refuses to run', async () => {
    const schema = await useTestSchema()
    await expect(migratePostgres(pool(schema.url), MIGRATIONS, [MIGRATIONS[0]!])).rejects.toThrow(
      'two migrations have version 1',
    )
  })
})

describe('PostgreSQL errors', () => {
  it('[ST4] when the server is unreachable then a query fails as storage_unavailable', async () => {
    // A port nothing listens on: the pool reports ECONNREFUSED.
    const closed = pool('postgres://postgres@127.0.0.1:1/test')
    await expect(inTransaction(closed, (c) => c.query('SELECT 1'))).rejects.toMatchObject({
      code: 'storage_unavailable',
    })
  })

  it('[ST4] when the backend is terminated mid-session then the idle error is heard and the next query reconnects', async () => {
    const schema = await useTestSchema()
    const idleErrors: Error[] = []
    const db = openPostgres(schema.url, { onIdleError: (err) => idleErrors.push(err) })
    onTestFinished(() => db.end())
    await db.query('SELECT 1')
    expect(await terminateSchemaConnections(schema)).toBe(1)
    await expect.poll(() => idleErrors.length).toBe(1)
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('[ST4] when a transaction runs while its backend is terminated then it fails as storage_unavailable', async () => {
    const schema = await useTestSchema()
    const db = pool(schema.url)
    const failure = inTransaction(db, async (client) => {
      await client.query('SELECT 1')
      await terminateSchemaConnections(schema)
      await client.query('SELECT 1')
    })
    await expect(failure).rejects.toMatchObject({ code: 'storage_unavailable' })
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('[ST4] when idle pooled connections were terminated, then the next transactions get fresh ones and succeed', async () => {
    const schema = await useTestSchema()
    const db = pool(schema.url)
    for (let round = 0; round < 5; round++) {
      // Three idle connections in the pool, then a database restart as the pool sees it.
      const held = await Promise.all([db.connect(), db.connect(), db.connect()])
      for (const client of held) client.release()
      // Terminated from another process while this one's event loop is blocked, so the pool
      // has not read the news when the transactions begin (as after a restart under load).
      terminateSchemaConnectionsSync(schema)
      const results = await Promise.all(
        [1, 2, 3].map((n) =>
          inTransaction(
            db,
            async (c) => (await c.query<{ n: number }>('SELECT $1::int AS n', [n])).rows[0]?.n,
          ),
        ),
      )
      expect(results).toEqual([1, 2, 3])
    }
  })

  it('maps a statement timeout to storage_unavailable and a plain bug to itself', async () => {
    const schema = await useTestSchema()
    const db = openPostgres(schema.url, { onIdleError: () => undefined, statementTimeoutMs: 50 })
    onTestFinished(() => db.end())
    await expect(inTransaction(db, (c) => c.query('SELECT pg_sleep(5)'))).rejects.toMatchObject({
      code: 'storage_unavailable',
    })
    const bug = new TypeError('not a driver error')
    expect(toStorageError(bug)).toBe(bug)
  })
})

describe('openPostgres', () => {
  it('when a pool connects, then its sessions cancel slow statements and end transactions left idle, so no lock is held forever', async () => {
    const schema = await useTestSchema()
    const db = pool(schema.url)
    const setting = async (name: string) =>
      (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name]
    expect(await setting('statement_timeout')).toBe('30s')
    expect(await setting('idle_in_transaction_session_timeout')).toBe('10s')
  })
})

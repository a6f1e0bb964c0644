import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { onTestFinished } from 'vitest'

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
const HOW_TO_GET_IT = 'set DATABASE_URL (postgres://postgres@127.0.0.1:5432/test; PostgreSQL must be running)'

/** The database tests share; each test works in its own schema of it (never skip: fail instead). */
export function testDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL
}

export interface TestSchema {
  /** The unique schema, e.g. `t_1234_5f3a9c0d`. */
  name: string
  /** DATABASE_URL with `search_path` set to the schema: every connection opened on it works there. */
  url: string
  /** Drops the schema and everything in it. Close the pools that use it first. */
  drop(): Promise<void>
}

/**
 * A freshly created, uniquely named schema in DATABASE_URL's database, so tests running at the
 * same time (other files, other engineers) never see each other's tables. `search_path` is set
 * through the `options` connection parameter, so the code under test needs no schema argument.
 */
export async function createTestSchema(): Promise<TestSchema> {
  const base = testDatabaseUrl()
  const name = `t_${process.pid}_${randomUUID().slice(0, 8)}`
  await withAdmin(base, (admin) => admin.query(`CREATE SCHEMA ${name}`))
  const url = new URL(base)
  url.searchParams.set('options', `-c search_path=${name}`)
  // Names the schema's connections in pg_stat_activity (terminateSchemaConnections); a URL
  // parameter wins over the application_name the code under test sets.
  url.searchParams.set('application_name', name)
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdmin(base, async (admin) => {
        // A connection the test left open must not block the drop forever.
        await admin.query(`SET lock_timeout = '10s'`)
        await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
      }),
  }
}

/** A test schema dropped when the current test ends (after the test's own cleanup). */
export async function useTestSchema(): Promise<TestSchema> {
  const schema = await createTestSchema()
  onTestFinished(() => schema.drop())
  return schema
}

/**
 * Ends every connection opened on the schema's URL (a database outage, as the server sees it).
 * They are found by application_name, which the URL sets to the schema's name, so no other
 * test's connections are touched.
 */
export async function terminateSchemaConnections(schema: TestSchema): Promise<number> {
  return withAdmin(testDatabaseUrl(), async (admin) => {
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [schema.name],
    )
    return rows.length
  })
}

/** terminateSchemaConnections from a child process, blocking this one's event loop until done. */
export function terminateSchemaConnectionsSync(schema: TestSchema): void {
  const script = `
    const pg = require('pg')
    const admin = new pg.Client({ connectionString: process.argv[1] })
    admin.connect()
      .then(() => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [process.argv[2]]))
      .then(() => admin.end())`
  execFileSync(process.execPath, ['-e', script, testDatabaseUrl(), schema.name], {
    stdio: 'inherit',
    timeout: 10_000,
  })
}

async function withAdmin<T>(url: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  try {
    await admin.connect()
  } catch (err) {
    throw new Error(`PostgreSQL is unreachable at ${url}: ${HOW_TO_GET_IT}`, { cause: err })
  }
  try {
    return await work(admin)
  } finally {
    await admin.end()
  }
}

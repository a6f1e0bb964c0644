import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { PG_MIGRATIONS } from '../../src/server/deps.js'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import { runCli } from '../support/cli.js'
import { systemClock } from '../support/clock.js'
import { startFaultProxy } from '../support/faultProxy.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import { useTestSchema, type TestSchema } from '../support/postgres.js'
import { canvasState } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'

// The server with DATABASE_URL: store and log in PostgreSQL (a fresh schema per test).

const servers: TestServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

async function startOn(databaseUrl: string): Promise<TestServer> {
  const server = await startTestServer({ env: { DATABASE_URL: databaseUrl }, clock: systemClock() })
  servers.push(server)
  return server
}

async function rowCount(schema: TestSchema, sql: string, params: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: schema.url })
  await client.connect()
  try {
    return (await client.query(sql, params)).rowCount ?? 0
  } finally {
    await client.end()
  }
}

describe('the server on PostgreSQL', () => {
  it('[PG6] when the server is restarted, then accounts, sessions, canvases, objects and the log are all there, and nothing went to SQLite', async () => {
    const schema = await useTestSchema()
    const first = await startOn(schema.url)
    const owner = await registerUser(first.http)
    const canvas = await createCanvas(first.http, owner, 'kept in postgres')
    const ws = await WsTestClient.connect(first.baseUrl, canvas.id, { token: owner.token })
    ws.send({
      type: 'object-create',
      opId: 'c1',
      object: { id: 'r1', type: 'rect', x: 1, y: 2, width: 3, height: 4 },
    })
    ws.send({ type: 'object-update', opId: 'u1', id: 'r1', changes: { fill: '#00ff00' } })
    expect((await ws.waitForAck('c1')).seq).toBe(1)
    expect((await ws.waitForAck('u1')).seq).toBe(2)
    ws.close()
    expect(fs.existsSync(path.join(first.dataDir, SQLITE_FILE_NAME))).toBe(false)
    await first.close()

    const second = await startOn(schema.url)
    // The session token from before the restart still signs in: sessions live in PostgreSQL too.
    expect(await canvasState(second.http, canvas.id, owner)).toMatchObject({
      seq: 2,
      objects: [{ id: 'r1', x: 1, fill: '#00ff00' }],
    })
    expect(await rowCount(schema, 'SELECT 1 FROM op_log WHERE canvas_id = $1', [canvas.id])).toBe(2)
    const again = await WsTestClient.connect(second.baseUrl, canvas.id, { token: owner.token })
    again.send({ type: 'object-delete', opId: 'd1', id: 'r1' })
    expect((await again.waitForAck('d1')).seq).toBe(3)
    again.close()
    expect(await rowCount(schema, 'SELECT 1 FROM op_log WHERE canvas_id = $1', [canvas.id])).toBe(3)
  })

  it('[PG7][ST4] when PostgreSQL becomes unreachable, then /health answers 503 degraded, requests 503 and edits an error, both storage_unavailable; when it is back, all recover and seqs continue', async () => {
    const schema = await useTestSchema()
    const url = new URL(schema.url)
    const proxy = await startFaultProxy(`http://${url.hostname}:${url.port || '5432'}`)
    onTestFinished(() => proxy.close())
    url.host = new URL(proxy.baseUrl).host
    const server = await startOn(url.toString())
    const owner = await registerUser(server.http)
    const health = () =>
      server.http.send<{ status: string; checks: { database: string } }>({ method: 'GET', url: '/health' })
    expect((await health()).body).toMatchObject({ status: 'ok', checks: { database: 'ok' } })
    const canvas = await createCanvas(server.http, owner, 'through the outage')
    const ws = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    onTestFinished(() => ws.close())
    ws.send({ type: 'object-create', opId: 'before', object: { id: 'r1', type: 'rect', x: 1 } })
    expect((await ws.waitForAck('before')).seq).toBe(1)

    proxy.setOffline(true)
    const down = await health()
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({ status: 'degraded', checks: { database: 'unavailable' } })
    const refused = await server.http.send({ method: 'GET', url: '/api/canvases', token: owner.token })
    expect(refused.status).toBe(503)
    expect(refused.body).toMatchObject({ error: { code: 'storage_unavailable' } })
    ws.send({ type: 'object-update', opId: 'during', id: 'r1', changes: { x: 2 } })
    expect(await ws.waitFor((m) => m.type === 'error', 15_000)).toMatchObject({
      code: 'storage_unavailable',
      opId: 'during',
    })

    proxy.setOffline(false)
    await expect.poll(async () => (await health()).status).toBe(200)
    ws.send({ type: 'object-update', opId: 'after', id: 'r1', changes: { x: 3 } })
    // The failed edit stored nothing and took no seq [LOG1][LOG2].
    expect((await ws.waitForAck('after')).seq).toBe(2)
    expect(await canvasState(server.http, canvas.id, owner)).toMatchObject({
      seq: 2,
      objects: [{ id: 'r1', x: 3 }],
    })
  })
})

// The compiled CLI (dist/server/main.js) as an operator runs it.
describe('collabcanvas with DATABASE_URL', () => {
  const allVersions = PG_MIGRATIONS.flat()
    .map((m) => m.version)
    .sort((a, b) => a - b)
  const migrationsOf = async (schema: TestSchema) =>
    rowCount(schema, 'SELECT version FROM schema_migrations', [])

  it('[PG8] when migrate runs, then every migration is recorded once; run again, nothing is applied', async () => {
    const schema = await useTestSchema()
    const env = { DATABASE_URL: schema.url, LOG_LEVEL: 'info' }
    const first = await runCli(['migrate'], env)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`"applied":[${allVersions.join(',')}]`)
    const second = await runCli(['migrate'], env)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('"applied":[]')
    expect(await migrationsOf(schema)).toBe(allVersions.length)
  })

  it('[PG8] when three instances migrate one schema at once, then each exits 0 and every migration ran once', async () => {
    const schema = await useTestSchema()
    const runs = await Promise.all(
      [1, 2, 3].map(() => runCli(['migrate'], { DATABASE_URL: schema.url, LOG_LEVEL: 'info' })),
    )
    for (const run of runs) expect(run.code, run.stderr).toBe(0)
    const applied = runs.map((r) => /"applied":\[([\d,]*)\]/.exec(r.stdout)?.[1] ?? 'none')
    expect(
      applied
        .filter((a) => a !== '')
        .join(',')
        .split(',')
        .sort(),
    ).toEqual(allVersions.map(String).sort())
    expect(await migrationsOf(schema)).toBe(allVersions.length)
  })

  it('[PG8][ST4] when PostgreSQL is unreachable at start, then serve exits 1 with one line saying so', async () => {
    const res = await runCli(['serve'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test',
      HOST: '127.0.0.1',
      PORT: '0',
    })
    expect(res.code).toBe(1)
    const lines = res.stderr.split('\n').filter((l) => l !== '')
    expect(lines).toEqual([expect.stringContaining('the database is unavailable')])
  })
})

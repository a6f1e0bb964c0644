import { randomUUID } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSWORD_MAX_LENGTH } from '../../src/auth/passwords.js'
import { MESSAGE_LIMITS } from '../../src/protocol/clientMessageSchemas.js'
import { OBJECT_LIMITS } from '../../src/protocol/objects.js'
import { DEFAULT_STORE_LIMITS } from '../../src/store/canvasStore.js'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import type { ApiRequest } from '../support/apiClient.js'
import { systemClock } from '../support/clock.js'
import { expectError } from '../support/expectError.js'
import { createCanvas, registerUser, TEST_PASSWORD, uniqueEmail, type TestUser } from '../support/fixtures.js'
import { canvasState, sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer, type TestServerOptions } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'

// [I1] Every resource cap answers a clear 4xx or error frame one past the cap, never a 500, and
// stores nothing. The caps are filled through the store or the log, not through thousands of
// requests, so the test stays fast; the requests at cap + 1 go through the real server.

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ clock: systemClock(), ...options })
  cleanups.push(() => server.close())
  return server
}

async function connect(server: TestServer, canvasId: string, user: TestUser): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.baseUrl, canvasId, { token: user.token })
  cleanups.push(() => client.terminate())
  return client
}

/**
 * Runs `fill` in one transaction on a second connection to the server's database: thousands of
 * rows in one commit, where the store would commit (and fsync) each.
 */
function bulkInsert(server: TestServer, fill: (db: Database.Database) => void): void {
  const db = new Database(path.join(server.dataDir, SQLITE_FILE_NAME))
  try {
    db.transaction(() => fill(db))()
  } finally {
    db.close()
  }
}

describe('[I1] canvases per owner', () => {
  it(`[I1][ST5] when a user who owns ${DEFAULT_STORE_LIMITS.maxCanvasesPerOwner} canvases creates one more, then 403 limit_exceeded and nothing is stored; after a delete it works again`, async () => {
    const server = await start()
    const owner = await registerUser(server.http)
    const cap = DEFAULT_STORE_LIMITS.maxCanvasesPerOwner
    bulkInsert(server, (db) => {
      const insert = db.prepare(
        "INSERT INTO canvases (id, name, owner_id, created_at, updated_at) VALUES (?, ?, ?, '2026-01-01', '2026-01-01')",
      )
      for (let i = 1; i < cap; i++) insert.run(randomUUID(), `c${i}`, owner.id)
    })
    const last = await createCanvas(server.http, owner, 'the last one')

    const res = await server.http.send({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      json: { name: 'one too many' },
    })
    expectError(res, 403, 'limit_exceeded')
    expect(res.body).toMatchObject({ error: { message: `a user may own at most ${cap} canvases` } })
    expect(await server.deps.store.listCanvases(owner.id)).toHaveLength(cap)

    const deleted = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${last.id}`,
      token: owner.token,
    })
    expect(deleted.status).toBe(204)
    await createCanvas(server.http, owner, 'room again')
  })
})

describe('[I1] members per canvas', () => {
  it(`[I1][ST5] when a canvas has ${DEFAULT_STORE_LIMITS.maxMembersPerCanvas} members and one more accepts an invitation, then 403 limit_exceeded; a role change still works`, async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['viewer'])
    const store = server.deps.store
    const cap = DEFAULT_STORE_LIMITS.maxMembersPerCanvas
    for (let i = 1; i < cap; i++) {
      const user = await store.createUser({
        email: uniqueEmail('member'),
        username: `m${i}`,
        passwordHash: 'x',
      })
      await store.upsertMember(canvas.id, user.id, 'viewer')
    }
    const newcomer = await registerUser(server.http)
    const share = (user: TestUser, role: 'viewer' | 'editor'): Promise<{ status: number }> =>
      server.http.send({
        method: 'POST',
        url: `/api/canvases/${canvas.id}/members`,
        token: owner.token,
        json: { email: user.email, role },
      })

    // The invitation is sent (the owner learns nothing of the invitee); accepting it is refused.
    const invited = await server.http.send<{ invite: { id: string } }>({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/members`,
      token: owner.token,
      json: { email: newcomer.email, role: 'viewer' },
    })
    expect(invited.status, invited.text).toBe(201)
    const res = await server.http.send({
      method: 'POST',
      url: `/api/invites/${invited.body.invite.id}/accept`,
      token: newcomer.token,
    })
    expectError(res, 403, 'limit_exceeded')
    expect(await store.getCanvasForUser(canvas.id, newcomer.id)).toBeUndefined()
    expect(await store.listMembers(canvas.id)).toHaveLength(cap + 1)
    expect((await share(members[0] as TestUser, 'editor')).status).toBe(200)
  })
})

describe('[I1] objects per canvas', () => {
  it(`[I1][ROOM8] when a canvas holds ${OBJECT_LIMITS.objectsPerCanvas} objects, then one more create is limit_exceeded with its opId and the socket stays open; after a delete a create is accepted`, async () => {
    const server = await start()
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const cap = OBJECT_LIMITS.objectsPerCanvas
    // Straight into the log, before any room loads it: one commit instead of 10,000 ops.
    await server.deps.opLog.append(
      canvas.id,
      Array.from({ length: cap }, (_, i) => ({
        opId: `fill-${i}`,
        userId: owner.id,
        op: { kind: 'create' as const, object: { id: `o${i}`, type: 'rect' as const, x: i } },
      })),
    )
    const client = await connect(server, canvas.id, owner)
    expect(client.authSuccess?.objects).toHaveLength(cap)

    client.send({ type: 'object-create', opId: 'over', object: { id: 'over', type: 'rect' } })
    expect(await client.waitForError('over')).toMatchObject({ code: 'limit_exceeded', opId: 'over' })
    client.send({ type: 'object-delete', opId: 'free', id: 'o0' })
    await client.waitForAck('free')
    client.send({ type: 'object-create', opId: 'fits', object: { id: 'fits', type: 'rect' } })
    await client.waitForAck('fits')
    const state = await canvasState(server.http, canvas.id, owner)
    expect(state.objects).toHaveLength(cap)
    expect(state.objects.some((o) => o.id === 'over')).toBe(false)
  })
})

describe('[I1] WebSocket connections per user', () => {
  it('[I1] when a user opens one socket past maxConnectionsPerUser, then limit_exceeded and close 4029; closing one makes room', async () => {
    const server = await start({ realtimeLimits: { maxConnectionsPerUser: 3 } })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const open = [
      await connect(server, canvas.id, owner),
      await connect(server, canvas.id, owner),
      await connect(server, canvas.id, owner),
    ]
    const extra = await WsTestClient.connect(server.baseUrl, canvas.id, { authenticate: false })
    cleanups.push(() => extra.terminate())
    extra.send({ type: 'auth', token: owner.token })
    expect(await extra.waitForError()).toMatchObject({ code: 'limit_exceeded' })
    expect((await extra.waitForClose()).code).toBe(4029)
    // The cap is per user: another user still joins.
    await connect(server, canvas.id, members[0] as TestUser)

    const first = open[0] as WsTestClient
    first.close()
    await first.closed
    await expect
      .poll(async () => {
        const again = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token }).catch(
          () => undefined,
        )
        if (again) cleanups.push(() => again.terminate())
        return again?.authSuccess?.userId
      })
      .toBe(owner.id)
  })
})

describe('[I1] string and property lengths', () => {
  /** [what, request at the cap, request one past it, field named at cap + 1] */
  const long = (n: number) => 'x'.repeat(n)
  const httpCases: [
    string,
    (u: TestUser, canvasId: string) => ApiRequest,
    (u: TestUser, canvasId: string) => ApiRequest,
    string,
  ][] = [
    [
      'a canvas name of 200 / 201 characters',
      () => ({ method: 'POST', url: '/api/canvases', json: { name: long(200) } }),
      () => ({ method: 'POST', url: '/api/canvases', json: { name: long(201) } }),
      'body.name',
    ],
    [
      'a rename to 200 / 201 characters',
      (_u, id) => ({ method: 'PATCH', url: `/api/canvases/${id}`, json: { name: long(200) } }),
      (_u, id) => ({ method: 'PATCH', url: `/api/canvases/${id}`, json: { name: long(201) } }),
      'body.name',
    ],
    [
      'a username of 40 / 41 characters',
      () => ({
        method: 'POST',
        url: '/api/register',
        json: { email: uniqueEmail('len'), username: long(40), password: TEST_PASSWORD },
      }),
      () => ({
        method: 'POST',
        url: '/api/register',
        json: { email: uniqueEmail('len'), username: long(41), password: TEST_PASSWORD },
      }),
      'body.username',
    ],
    [
      `a password of ${PASSWORD_MAX_LENGTH} / ${PASSWORD_MAX_LENGTH + 1} characters`,
      () => ({
        method: 'POST',
        url: '/api/register',
        json: { email: uniqueEmail('len'), username: 'p', password: long(PASSWORD_MAX_LENGTH) },
      }),
      () => ({
        method: 'POST',
        url: '/api/register',
        json: { email: uniqueEmail('len'), username: 'p', password: long(PASSWORD_MAX_LENGTH + 1) },
      }),
      'body.password',
    ],
    [
      'an email of 254 / 255 characters',
      () => ({
        method: 'POST',
        url: '/api/register',
        json: {
          email: `${long(64)}@${long(63)}.${long(63)}.${long(61)}`,
          username: 'e',
          password: TEST_PASSWORD,
        },
      }),
      () => ({
        method: 'POST',
        url: '/api/register',
        json: {
          email: `${long(64)}@${long(63)}.${long(63)}.${long(62)}`,
          username: 'e',
          password: TEST_PASSWORD,
        },
      }),
      'body.email',
    ],
  ]

  it.each(httpCases)(
    '[I1] when %s is sent, then the first is accepted and the second is 400 naming the field',
    async (_what, atCap, overCap, field) => {
      const server = await start()
      const owner = await registerUser(server.http)
      const canvas = await createCanvas(server.http, owner, 'lengths')
      const ok = await server.http.send({ ...atCap(owner, canvas.id), token: owner.token })
      expect(ok.status, ok.text).toBeLessThan(300)
      expectError(
        await server.http.send({ ...overCap(owner, canvas.id), token: owner.token }),
        400,
        'invalid_input',
        field,
      )
    },
  )

  it('[I1] when object strings, points and selections are at their caps they are accepted; one past, invalid_input naming the field and nothing is logged', async () => {
    const server = await start()
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const client = await connect(server, canvas.id, owner)
    const cases: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
      [
        'text',
        { text: long(OBJECT_LIMITS.textLength) },
        { text: long(OBJECT_LIMITS.textLength + 1) },
        'object.text',
      ],
      [
        'name',
        { name: long(OBJECT_LIMITS.nameLength) },
        { name: long(OBJECT_LIMITS.nameLength + 1) },
        'object.name',
      ],
      [
        'fontFamily',
        { fontFamily: long(OBJECT_LIMITS.fontFamilyLength) },
        { fontFamily: long(OBJECT_LIMITS.fontFamilyLength + 1) },
        'object.fontFamily',
      ],
      [
        'points',
        { points: new Array<number>(OBJECT_LIMITS.points).fill(1) },
        { points: new Array<number>(OBJECT_LIMITS.points + 2).fill(1) },
        'object.points',
      ],
    ]
    let n = 0
    for (const [what, atCap, overCap, field] of cases) {
      n += 1
      client.send({
        type: 'object-create',
        opId: `ok-${n}`,
        object: { id: `ok-${n}`, type: 'path', ...atCap },
      })
      await client.waitForAck(`ok-${n}`)
      client.send({
        type: 'object-create',
        opId: `no-${n}`,
        object: { id: `no-${n}`, type: 'path', ...overCap },
      })
      expect(await client.waitForError(`no-${n}`), what).toMatchObject({ code: 'invalid_input', field })
    }
    const ids = (k: number) => Array.from({ length: k }, (_, i) => `s${i}`)
    client.send({ type: 'selection', ids: ids(MESSAGE_LIMITS.selectionIds + 1) })
    expect(await client.waitForError()).toMatchObject({ code: 'invalid_input', field: 'ids' })
    client.send({ type: 'selection', ids: ids(MESSAGE_LIMITS.selectionIds) })
    client.send({ type: 'ping', t: 1 })
    await client.waitFor((m) => m.type === 'pong')
    expect(client.all('error')).toHaveLength(cases.length + 1)
    const state = await canvasState(server.http, canvas.id, owner)
    expect(state.objects.map((o) => o.id).sort()).toEqual(cases.map((_, i) => `ok-${i + 1}`))
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../support/clock.js'
import type { SignedInBody, TestUser } from '../support/fixtures.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { OpLogReader } from '../support/opLogReader.js'
import { sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer, type TestServerOptions } from '../support/startTestServer.js'
import { WsTestClient, type ConnectOptions, type Received } from '../support/wsTestClient.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ clock: systemClock(), ...options })
  cleanups.push(() => server.close())
  return server
}

async function connect(server: TestServer, canvasId: string, options: ConnectOptions): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.baseUrl, canvasId, options)
  cleanups.push(() => client.terminate())
  return client
}

function openLog(server: TestServer): OpLogReader {
  const log = new OpLogReader(server.dataDir)
  cleanups.push(() => log.close())
  return log
}

let pings = 0
/** The socket is open and still served: a ping is answered with its pong. */
async function expectServed(client: WsTestClient): Promise<void> {
  const t = ++pings
  client.send({ type: 'ping', t })
  expect(await client.waitFor((m) => m.type === 'pong' && m.t === t)).toEqual({ type: 'pong', t })
}

type ErrorFrame = Extract<Received, { type: 'error' }>

/** The next error frame, then a ping round trip: the error did not close the socket. */
async function expectErrorAndServed(client: WsTestClient): Promise<ErrorFrame> {
  const error = await client.waitForError()
  await expectServed(client)
  return error
}

/** A second session of the same user: what a second browser gets at login. */
async function login(server: TestServer, user: TestUser): Promise<string> {
  const res = await server.http.send<SignedInBody>({
    method: 'POST',
    url: '/api/login',
    json: { email: user.email, password: user.password },
  })
  expect(res.status, res.text).toBe(200)
  return res.body.sessionId
}

describe('viewers', () => {
  it('[ROOM4] when a viewer sends create, update or delete, then each gets forbidden with its opId, the socket stays open and the log is untouched', async () => {
    const server = await start()
    const log = openLog(server)
    const { owner, members, canvas } = await sharedCanvas(server.http, ['viewer'])
    const owned = await connect(server, canvas.id, { token: owner.token })
    owned.send({ type: 'object-create', opId: 'own', object: { id: 'o1', type: 'rect' } })
    await owned.waitForAck('own')
    const viewer = await connect(server, canvas.id, { token: (members[0] as TestUser).token })
    expect(viewer.authSuccess?.role).toBe('viewer')

    const attempts = [
      { type: 'object-create', opId: 'v1', object: { id: 'v1', type: 'rect' } },
      { type: 'object-update', opId: 'v2', id: 'o1', changes: { x: 5 } },
      { type: 'object-delete', opId: 'v3', id: 'o1' },
      // Not even an id that does not exist is looked up for a viewer.
      { type: 'object-delete', opId: 'v4', id: 'nope' },
    ]
    for (const attempt of attempts) {
      viewer.send(attempt)
      expect(await viewer.waitForError(attempt.opId)).toMatchObject({ code: 'forbidden', opId: attempt.opId })
      await expectServed(viewer)
    }
    expect(viewer.all('ack')).toEqual([])
    expect(log.rows(canvas.id).map((r) => r.opId)).toEqual(['own'])
  })
})

describe('hostile frames', () => {
  it('[PROTO1][PROTO3][PROTO4][PROTO5][PROTO9][PROTO10][PROTO15][PROTO16] when a member sends malformed frames, then each gets invalid_input naming the field, the socket stays open and nothing is logged', async () => {
    const server = await start()
    const log = openLog(server)
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const client = await connect(server, canvas.id, { token: owner.token })
    const create = (object: Record<string, unknown>) =>
      JSON.stringify({ type: 'object-create', opId: 'bad', object })
    const update = (changes: Record<string, unknown>) =>
      JSON.stringify({ type: 'object-update', opId: 'bad', id: 'x', changes })

    // [frame, field (undefined: none), whether the frame's opId comes back]
    const cases: [string, string, string | undefined][] = [
      ['invalid JSON', '{"type":', undefined],
      ['a JSON array', '[1,2]', undefined],
      ['a JSON string', '"auth"', undefined],
      ['JSON null', 'null', undefined],
      ['no type', '{}', 'type'],
      ['an unknown type', '{"type":"explode"}', 'type'],
      ['a numeric type', '{"type":5}', 'type'],
      ['a create without object', '{"type":"object-create","opId":"bad"}', 'object'],
      ['a create without opId', '{"type":"object-create","object":{"id":"a","type":"rect"}}', 'opId'],
      ['an update without changes', '{"type":"object-update","opId":"bad","id":"x"}', 'changes'],
      ['an update with empty changes', update({}), 'changes'],
      ['a delete without id', '{"type":"object-delete","opId":"bad"}', 'id'],
      ['a cursor without y', '{"type":"cursor","x":1}', 'y'],
      ['a ping without t', '{"type":"ping"}', 't'],
      ['a string coordinate', create({ id: 'a', type: 'rect', x: 'abc' }), 'object.x'],
      ['an unknown object type', create({ id: 'a', type: 'blob' }), 'object.type'],
      ['a string cursor x', '{"type":"cursor","x":"1","y":2}', 'x'],
      [
        '1e400 in an object',
        '{"type":"object-create","opId":"bad","object":{"id":"a","type":"rect","x":1e400}}',
        'object.x',
      ],
      ['1e400 in a cursor', '{"type":"cursor","x":1e400,"y":0}', 'x'],
      ['1e400 in a ping', '{"type":"ping","t":1e400}', 't'],
      ['a coordinate beyond 1e7', create({ id: 'a', type: 'rect', y: 1e8 }), 'object.y'],
      [
        'text over 10,000 characters',
        create({ id: 'a', type: 'text', text: 'x'.repeat(10_001) }),
        'object.text',
      ],
      [
        'over 20,000 points',
        create({ id: 'a', type: 'path', points: new Array<number>(20_002).fill(1) }),
        'object.points',
      ],
      ['an odd number of points', create({ id: 'a', type: 'path', points: [1, 2, 3] }), 'object.points'],
      [
        'an opId over 64 characters',
        JSON.stringify({ type: 'object-delete', opId: 'o'.repeat(65), id: 'a' }),
        'opId',
      ],
      ['an object id over 64 characters', create({ id: 'i'.repeat(65), type: 'rect' }), 'object.id'],
      [
        'a fill that is not a colour',
        create({ id: 'a', type: 'rect', fill: 'url(javascript:alert(1))' }),
        'object.fill',
      ],
      [
        '__proto__ in the object',
        '{"type":"object-create","opId":"bad","object":{"id":"a","type":"rect","__proto__":{"x":1}}}',
        'object.__proto__',
      ],
      [
        'constructor in changes',
        '{"type":"object-update","opId":"bad","id":"a","changes":{"constructor":{"x":1}}}',
        'changes.constructor',
      ],
      ['__proto__ at the top', '{"__proto__":{"admin":true},"type":"ping","t":1}', '__proto__'],
      ['an unknown property', create({ id: 'a', type: 'rect', evil: 1 }), 'object.evil'],
      [
        'a role on the message',
        JSON.stringify({ type: 'object-delete', opId: 'bad', id: 'a', role: 'owner' }),
        'role',
      ],
      ['changes.createdBy', update({ createdBy: 'me' }), 'changes.createdBy'],
      ['changes.version', update({ version: 99 }), 'changes.version'],
      ['changes.seq', update({ seq: 1 }), 'changes.seq'],
      ['changes.updatedAt', update({ updatedAt: '2000-01-01T00:00:00Z' }), 'changes.updatedAt'],
      ['changes.canvasId', update({ canvasId: 'other' }), 'changes.canvasId'],
      ['changes.id', update({ id: 'other' }), 'changes.id'],
      ['changes.type', update({ type: 'ellipse' }), 'changes.type'],
      ['object.createdBy', create({ id: 'a', type: 'rect', createdBy: 'me' }), 'object.createdBy'],
      ['object.version', create({ id: 'a', type: 'rect', version: 7 }), 'object.version'],
      ['object.seq', create({ id: 'a', type: 'rect', seq: 1 }), 'object.seq'],
      ['object.canvasId', create({ id: 'a', type: 'rect', canvasId: 'other' }), 'object.canvasId'],
    ]
    for (const [label, frame, field] of cases) {
      client.sendRaw(frame)
      const error = await expectErrorAndServed(client)
      const expected: Record<string, string> = { type: 'error', code: 'invalid_input' }
      if (field !== undefined) expected.field = field
      // The opId is echoed when the frame carried a usable one [PROTO3].
      if (frame.includes('"opId":"bad"')) expected.opId = 'bad'
      expect(error, label).toMatchObject(expected)
      expect(error.field, label).toBe(field)
      expect(error.opId, label).toBe(expected.opId)
      expect(error.message, label).toEqual(expect.any(String))
    }

    client.sendRaw(Buffer.from([0x7b, 0x7d, 0x00, 0xff]), { binary: true })
    expect(await expectErrorAndServed(client), 'a binary frame').toMatchObject({ code: 'invalid_input' })
    expect(client.all('ack')).toEqual([])
    expect(log.count(canvas.id)).toBe(0)
  })

  it('[ROOM7] when an op names a missing object or reuses a taken id, then not_found or conflict with its opId and field, the socket stays open and nothing is logged', async () => {
    const server = await start()
    const log = openLog(server)
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const client = await connect(server, canvas.id, { token: owner.token })
    client.send({ type: 'object-create', opId: 'ok', object: { id: 'taken', type: 'rect' } })
    expect((await client.waitForAck('ok')).seq).toBe(1)

    const cases = [
      [{ type: 'object-update', opId: 'u', id: 'missing', changes: { x: 1 } }, 'not_found', 'id'],
      [{ type: 'object-delete', opId: 'd', id: 'missing' }, 'not_found', 'id'],
      [
        { type: 'object-create', opId: 'c', object: { id: 'taken', type: 'ellipse' } },
        'conflict',
        'object.id',
      ],
    ] as const
    for (const [op, code, field] of cases) {
      client.send(op)
      expect(await expectErrorAndServed(client)).toMatchObject({ code, field, opId: op.opId })
    }
    expect(log.rows(canvas.id).map((r) => r.opId)).toEqual(['ok'])
  })
})

describe('the handshake', () => {
  it('[GW1] when the first message is not auth, then unauthorized and close 4401', async () => {
    const server = await start()
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const client = await connect(server, canvas.id, { authenticate: false })
    client.send({ type: 'object-create', opId: 'early', object: { id: 'a', type: 'rect' } })
    expect(await client.waitForError()).toMatchObject({ code: 'unauthorized' })
    expect((await client.waitForClose()).code).toBe(4401)
    const pinger = await connect(server, canvas.id, { authenticate: false })
    pinger.send({ type: 'ping', t: 1 })
    expect(await pinger.waitForError()).toMatchObject({ code: 'unauthorized' })
    expect((await pinger.waitForClose()).code).toBe(4401)
    expect(pinger.all('pong')).toEqual([])
    // The canvas is fine for its owner, and nothing was written.
    const ok = await connect(server, canvas.id, { token: owner.token })
    expect(ok.authSuccess?.seq).toBe(0)
  })

  it('[GW1] when the token is bad, the canvas is not shared, unknown, or its id malformed, then 4401, 4403, 4404 or an upgrade refused with 404', async () => {
    const server = await start()
    const { canvas } = await sharedCanvas(server.http, [])
    const { owner: stranger } = await sharedCanvas(server.http, [])

    for (const token of ['not-a-session', 'A'.repeat(43), '']) {
      const bad = await connect(server, canvas.id, { authenticate: false })
      bad.send({ type: 'auth', token })
      expect(await bad.waitForError()).toMatchObject({ code: 'unauthorized' })
      expect((await bad.waitForClose()).code).toBe(4401)
    }
    const noToken = await connect(server, canvas.id, { authenticate: false })
    noToken.send({ type: 'auth' })
    expect((await noToken.waitForClose()).code).toBe(4401)

    const notShared = await connect(server, canvas.id, { authenticate: false })
    notShared.send({ type: 'auth', token: stranger.token })
    expect(await notShared.waitForError()).toMatchObject({ code: 'forbidden' })
    expect((await notShared.waitForClose()).code).toBe(4403)

    const unknown = await connect(server, 'no-such-canvas', { authenticate: false })
    unknown.send({ type: 'auth', token: stranger.token })
    expect(await unknown.waitForError()).toMatchObject({ code: 'not_found' })
    expect((await unknown.waitForClose()).code).toBe(4404)

    for (const malformed of ['bad.id', 'x'.repeat(65), '%00', 'a%2Fb']) {
      await expect(
        WsTestClient.connect(server.baseUrl, malformed, { token: stranger.token }),
      ).rejects.toThrow('upgrade refused: 404')
    }
    expect(metricValue(await scrapeMetrics(server.http), 'ws_connections')).toBe(0)
  })
})

describe('sessions', () => {
  it("[A3] when a session logs out, then its sockets are closed with 4401 within 1 s and the same user's other session keeps its socket", async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0] as TestUser
    const otherSession = await login(server, editor)
    const watcher = await connect(server, canvas.id, { token: owner.token })
    const doomed1 = await connect(server, canvas.id, { token: editor.token })
    const doomed2 = await connect(server, canvas.id, { token: editor.token })
    const survivor = await connect(server, canvas.id, { token: otherSession })

    const res = await server.http.send({ method: 'POST', url: '/api/logout', token: editor.token })
    expect(res.status).toBe(204)
    expect(await doomed1.waitForClose(1_000)).toMatchObject({ code: 4401 })
    expect(await doomed2.waitForClose(1_000)).toMatchObject({ code: 4401 })
    expect(doomed1.all('error')).toMatchObject([{ code: 'unauthorized' }])

    await expectServed(survivor)
    survivor.send({ type: 'object-create', opId: 'still', object: { id: 's', type: 'rect' } })
    expect((await survivor.waitForAck('still')).seq).toBe(1)
    await watcher.waitFor((m) => m.type === 'object-created')
    // One tab of the user is still there: no one saw the user leave.
    expect(watcher.all('user-disconnected')).toEqual([])
    // And the dead token opens nothing.
    const again = await connect(server, canvas.id, { authenticate: false })
    again.send({ type: 'auth', token: editor.token })
    expect((await again.waitForClose()).code).toBe(4401)
  })

  it('[A3] when a session expires while its socket is open, then the sweep closes it with 4401 within 1 s', async () => {
    const clock = systemClock()
    const server = await start({ clock, realtimeLimits: { sweepIntervalMs: 50 } })
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const client = await connect(server, canvas.id, { token: owner.token })
    await expectServed(client)

    clock.advance(server.config.sessionTimeoutSec * 1000 + 1)
    expect(await client.waitForClose(1_000)).toMatchObject({ code: 4401 })
    expect(client.all('error')).toMatchObject([{ code: 'unauthorized' }])
  })
})

describe('revocation', () => {
  it('[Z2] when a member is removed while connected, then their sockets close with 4403 within 1 s, they get nothing written afterwards and cannot rejoin', async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor', 'viewer'])
    const [editor, viewer] = members as [TestUser, TestUser]
    const a = await connect(server, canvas.id, { token: owner.token })
    const b1 = await connect(server, canvas.id, { token: editor.token })
    const b2 = await connect(server, canvas.id, { token: editor.token })
    const v = await connect(server, canvas.id, { token: viewer.token })

    const res = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}/members/${editor.id}`,
      token: owner.token,
    })
    expect(res.status).toBe(204)
    const receivedAtRemoval = [b1.received.length, b2.received.length]
    a.send({ type: 'object-create', opId: 'after', object: { id: 'after', type: 'rect' } })
    await a.waitForAck('after')
    await v.waitFor((m) => m.type === 'object-created' && m.object.id === 'after')

    for (const b of [b1, b2]) {
      expect(await b.waitForClose(1_000)).toMatchObject({ code: 4403 })
      expect(b.all('object-created')).toEqual([])
    }
    expect(b1.received.slice(receivedAtRemoval[0]).filter((m) => m.type !== 'error')).toEqual([])
    expect(b2.received.slice(receivedAtRemoval[1]).filter((m) => m.type !== 'error')).toEqual([])
    // Both tabs went: the others heard the user leave, once, before the write.
    expect(v.all('user-disconnected')).toMatchObject([{ userId: editor.id }])

    const rejoin = await connect(server, canvas.id, { authenticate: false })
    rejoin.send({ type: 'auth', token: editor.token })
    expect((await rejoin.waitForClose()).code).toBe(4403)
  })

  it('[Z2][ROOM4] when an editor is made a viewer while connected, then their next op is forbidden on the same socket, and made editor again it is accepted', async () => {
    const server = await start()
    const log = openLog(server)
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0] as TestUser
    const b = await connect(server, canvas.id, { token: editor.token })
    b.send({ type: 'object-create', opId: 'before', object: { id: 'b1', type: 'rect' } })
    expect((await b.waitForAck('before')).seq).toBe(1)

    const setRole = async (role: 'viewer' | 'editor') => {
      const res = await server.http.send({
        method: 'POST',
        url: `/api/canvases/${canvas.id}/members`,
        token: owner.token,
        json: { email: editor.email, role },
      })
      expect(res.status, res.text).toBe(200)
    }
    await setRole('viewer')
    b.send({ type: 'object-update', opId: 'demoted', id: 'b1', changes: { x: 1 } })
    expect(await b.waitForError('demoted')).toMatchObject({ code: 'forbidden' })
    b.send({ type: 'cursor', x: 3, y: 4 })
    await expectServed(b)

    await setRole('editor')
    b.send({ type: 'object-update', opId: 'promoted', id: 'b1', changes: { x: 2 } })
    expect((await b.waitForAck('promoted')).seq).toBe(2)
    expect(b.closeInfo).toBeUndefined()
    expect(log.rows(canvas.id).map((r) => r.opId)).toEqual(['before', 'promoted'])
  })
})

describe('cross-site WebSocket hijacking', () => {
  it('[W9] when an upgrade carries a valid session cookie with a foreign, null or missing Origin, then it is refused with 403 before any join, and a same-origin one joins', async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0] as TestUser
    const member = await connect(server, canvas.id, { token: owner.token })
    const cookie = `session=${editor.token}`

    const attempts: Record<string, string>[] = [
      { Cookie: cookie, Origin: 'https://evil.example' },
      { Cookie: cookie, Origin: 'null' },
      { Cookie: cookie },
      // Our own host on another port is another origin.
      { Cookie: cookie, Origin: server.baseUrl.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) + 1}`) },
    ]
    for (const headers of attempts) {
      await expect(
        WsTestClient.connect(server.baseUrl, canvas.id, { headers, authenticate: false }),
        JSON.stringify(headers),
      ).rejects.toThrow('upgrade refused: 403')
    }
    expect(metricValue(await scrapeMetrics(server.http), 'ws_connections')).toBe(1)

    // From our own page the cookie is enough: no token in the auth message.
    const sameOrigin = await connect(server, canvas.id, {
      headers: { Cookie: cookie, Origin: server.baseUrl },
    })
    expect(sameOrigin.authSuccess).toMatchObject({ userId: editor.id, role: 'editor' })
    // The refused attempts would have announced the editor before this join did.
    expect(await member.waitFor((m) => m.type === 'user-connected')).toMatchObject({ userId: editor.id })
    expect(member.all('user-connected')).toHaveLength(1)
  })
})

describe('handler failures', () => {
  const TYPES = ['auth', 'cursor', 'ping', 'object-create', 'object-update', 'object-delete'] as const

  it.each(['throws', 'rejects'] as const)(
    '[W10] when the handler of each message type %s, then the client gets an internal error frame, later messages work and ws_handler_errors_total counts it',
    async (mode) => {
      const failing = new Set<string>()
      const server = await start({
        // Fails the next message of each type put in `failing`, once.
        beforeHandle: (type) => {
          if (!failing.delete(type)) return
          if (mode === 'throws') throw new Error(`test hook: ${type} handler throws`)
          return Promise.reject(new Error(`test hook: ${type} handler rejects`))
        },
      })
      const log = openLog(server)
      const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
      const errorsBefore = metricValue(await scrapeMetrics(server.http), 'ws_handler_errors_total') ?? 0
      const watcher = await connect(server, canvas.id, { token: (members[0] as TestUser).token })

      // auth: the failed attempt leaves the socket waiting for auth; the next one joins.
      const client = await connect(server, canvas.id, { authenticate: false })
      failing.add('auth')
      client.send({ type: 'auth', token: owner.token })
      expect(await client.waitForError()).toMatchObject({ code: 'internal' })
      client.send({ type: 'auth', token: owner.token })
      expect(await client.waitFor((m) => m.type === 'auth-success')).toMatchObject({ userId: owner.id })

      failing.add('ping')
      client.send({ type: 'ping', t: 1 })
      expect(await client.waitForError()).toMatchObject({ code: 'internal' })
      await expectServed(client)

      failing.add('cursor')
      client.send({ type: 'cursor', x: 1, y: 1 })
      expect(await client.waitForError()).toMatchObject({ code: 'internal' })
      client.send({ type: 'cursor', x: 2, y: 2 })
      expect(await watcher.waitFor((m) => m.type === 'cursors')).toEqual({
        type: 'cursors',
        cursors: [{ userId: owner.id, x: 2, y: 2 }],
      })

      const ops = [
        { type: 'object-create', opId: 'c', object: { id: 'o', type: 'rect' } },
        { type: 'object-update', opId: 'u', id: 'o', changes: { x: 1 } },
        { type: 'object-delete', opId: 'd', id: 'o' },
      ] as const
      for (const [i, op] of ops.entries()) {
        failing.add(op.type)
        client.send(op)
        expect(await client.waitForError(op.opId)).toMatchObject({ code: 'internal', opId: op.opId })
        // Nothing was stored: the same op goes through when sent again.
        client.send(op)
        expect((await client.waitForAck(op.opId)).seq).toBe(i + 1)
      }
      expect(log.rows(canvas.id).map((r) => r.opId)).toEqual(['c', 'u', 'd'])
      expect(failing.size).toBe(0)
      expect(client.all('error').filter((e) => e.code === 'internal')).toHaveLength(TYPES.length)
      expect(metricValue(await scrapeMetrics(server.http), 'ws_handler_errors_total')).toBe(
        errorsBefore + TYPES.length,
      )
      expect(client.closeInfo).toBeUndefined()
    },
  )
})

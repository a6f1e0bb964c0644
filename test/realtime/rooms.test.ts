import { afterEach, describe, expect, it } from 'vitest'
import type { TestUser } from '../support/fixtures.js'
import { systemClock } from '../support/clock.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { OpLogReader } from '../support/opLogReader.js'
import { canvasState, sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer, type TestServerOptions } from '../support/startTestServer.js'
import { tempDir } from '../support/tempDir.js'
import { WsTestClient, type Received } from '../support/wsTestClient.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ clock: systemClock(), ...options })
  cleanups.push(() => server.close())
  return server
}

async function join(server: TestServer, canvasId: string, user: TestUser): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.baseUrl, canvasId, { token: user.token })
  cleanups.push(() => client.terminate())
  return client
}

const OBJECT_EVENTS = new Set(['object-created', 'object-updated', 'object-deleted'])
type ObjectEvent = Extract<Received, { type: 'object-created' | 'object-updated' | 'object-deleted' }>

/** The object-* messages a client received so far, in arrival order. */
function objectEvents(client: WsTestClient): ObjectEvent[] {
  return client.received.filter((m): m is ObjectEvent => OBJECT_EVENTS.has(m.type))
}

function seqsOf(client: WsTestClient): number[] {
  return objectEvents(client).map((m) => m.seq)
}

describe('operations in a room', () => {
  it('[GW4][ROOM15] when one tab creates, updates and deletes, then every other socket gets each change exactly once in seq order, the sender only acks, and each ack follows the commit', async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, [
      'editor',
      'editor',
      'viewer',
      'viewer',
    ])
    const [editorB, editorC, viewer, latecomer] = members as [TestUser, TestUser, TestUser, TestUser]
    const log = new OpLogReader(server.dataDir)
    cleanups.push(() => log.close())

    const sender = await join(server, canvas.id, owner)
    const otherTab = await join(server, canvas.id, owner)
    const b = await join(server, canvas.id, editorB)
    const c = await join(server, canvas.id, editorC)
    const v = await join(server, canvas.id, viewer)

    // Read the database the moment each ack arrives, before anything else runs.
    const ackChecks: { opId: string; seq: number; row: unknown }[] = []
    sender.socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as
        Received | { type: 'batch'; messages: Received[] }
      const messages = message.type === 'batch' ? message.messages : [message]
      for (const m of messages) {
        if (m.type === 'ack') ackChecks.push({ opId: m.opId, seq: m.seq, row: log.row(canvas.id, m.seq) })
      }
    })

    const ops = [
      {
        type: 'object-create',
        opId: 'op1',
        object: { id: 'r1', type: 'rect', x: 1, y: 2, width: 30, height: 40 },
      },
      { type: 'object-create', opId: 'op2', object: { id: 't1', type: 'text', text: 'hello', fontSize: 12 } },
      { type: 'object-update', opId: 'op3', id: 'r1', changes: { x: 10, fill: '#00ff00' } },
      { type: 'object-delete', opId: 'op4', id: 't1' },
      { type: 'object-update', opId: 'op5', id: 'r1', changes: { rotation: 45 } },
    ]
    for (const op of ops) sender.send(op)
    for (const [i, op] of ops.entries())
      expect(await sender.waitForAck(op.opId)).toEqual({ type: 'ack', opId: op.opId, seq: i + 1 })
    expect(ackChecks.map((a) => [a.opId, a.seq])).toEqual(ops.map((op, i) => [op.opId, i + 1]))
    for (const check of ackChecks) {
      expect(check.row, `row for ${check.opId} at its ack`).toMatchObject({
        seq: check.seq,
        opId: check.opId,
        userId: owner.id,
      })
    }

    // A later broadcast to every socket is the barrier: whatever the room fanned out before it
    // (a late duplicate included) has arrived by the time it does.
    await join(server, canvas.id, latecomer)
    for (const client of [sender, otherTab, b, c, v]) {
      await client.waitFor((m) => m.type === 'user-connected' && m.userId === latecomer.id)
    }

    expect(seqsOf(sender)).toEqual([])
    for (const client of [otherTab, b, c, v]) expect(seqsOf(client)).toEqual([1, 2, 3, 4, 5])
    for (const client of [otherTab, b, c, v]) expect(client.all('ack')).toEqual([])

    expect(objectEvents(otherTab).slice(0, 5)).toEqual([
      {
        type: 'object-created',
        seq: 1,
        userId: owner.id,
        object: {
          id: 'r1',
          type: 'rect',
          x: 1,
          y: 2,
          width: 30,
          height: 40,
          createdBy: owner.id,
          version: 1,
          updatedAt: expect.any(String) as string,
        },
      },
      {
        type: 'object-created',
        seq: 2,
        userId: owner.id,
        object: expect.objectContaining({ id: 't1', text: 'hello', version: 1 }) as object,
      },
      { type: 'object-updated', seq: 3, userId: owner.id, id: 'r1', changes: { x: 10, fill: '#00ff00' } },
      { type: 'object-deleted', seq: 4, userId: owner.id, id: 't1' },
      { type: 'object-updated', seq: 5, userId: owner.id, id: 'r1', changes: { rotation: 45 } },
    ])
    expect(log.rows(canvas.id).map((r) => [r.seq, r.opId, r.userId])).toEqual(
      ops.map((op, i) => [i + 1, op.opId, owner.id]),
    )
    const state = await canvasState(server.http, canvas.id, viewer)
    expect(state.seq).toBe(5)
    expect(state.objects.map((o) => [o.id, o.version])).toEqual([['r1', 3]])
    expect(state.objects.find((o) => o.id === 'r1')).toMatchObject({ x: 10, fill: '#00ff00', rotation: 45 })
  })

  it('[ROOM5] when an op is resent with the same opId after its ack, or twice in one burst, then it is acked again with the first seq and applied once', async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor', 'viewer'])
    const [editor, latecomer] = members as [TestUser, TestUser]
    const log = new OpLogReader(server.dataDir)
    cleanups.push(() => log.close())
    const a = await join(server, canvas.id, owner)
    const b = await join(server, canvas.id, editor)

    const create = { type: 'object-create', opId: 'same', object: { id: 'o1', type: 'rect', x: 1 } }
    a.send(create)
    expect((await a.waitForAck('same')).seq).toBe(1)
    a.send(create)
    expect(await a.waitForAck('same')).toEqual({ type: 'ack', opId: 'same', seq: 1 })
    // Even a different op under a used opId is the same op to the server: acked, not applied.
    a.send({ type: 'object-update', opId: 'same', id: 'o1', changes: { x: 99 } })
    expect((await a.waitForAck('same')).seq).toBe(1)
    // Two copies that land in the same batch share one entry.
    const update = { type: 'object-update', opId: 'twice', id: 'o1', changes: { y: 7 } }
    a.send(update)
    a.send(update)
    const first = await a.waitForAck('twice')
    const second = await a.waitForAck('twice')
    expect([first.seq, second.seq]).toEqual([2, 2])

    // A later broadcast is the barrier: a second copy of either op would have arrived before it.
    await join(server, canvas.id, latecomer)
    await b.waitFor((m) => m.type === 'user-connected' && m.userId === latecomer.id)
    expect(seqsOf(b)).toEqual([1, 2])
    expect(b.all('object-updated')[0]?.changes).toEqual({ y: 7 })
    expect(log.rows(canvas.id).map((r) => [r.seq, r.opId])).toEqual([
      [1, 'same'],
      [2, 'twice'],
    ])
    expect(a.all('ack')).toHaveLength(5)
    const state = await canvasState(server.http, canvas.id, editor)
    expect(state.objects).toMatchObject([{ id: 'o1', x: 1, y: 7, version: 2 }])
  })

  it('[GW2] when ops are sent right behind the auth message, before auth-success, then they are held and handled in order once joined', async () => {
    const server = await start()
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const log = new OpLogReader(server.dataDir)
    cleanups.push(() => log.close())
    const client = await WsTestClient.connect(server.baseUrl, canvas.id, { authenticate: false })
    cleanups.push(() => client.terminate())

    client.send({ type: 'auth', token: owner.token })
    client.send({ type: 'object-create', opId: 'early1', object: { id: 'e1', type: 'rect' } })
    client.send({ type: 'object-update', opId: 'early2', id: 'e1', changes: { x: 3 } })
    client.send({ type: 'ping', t: 42 })

    await client.waitFor((m) => m.type === 'auth-success')
    expect((await client.waitForAck('early1')).seq).toBe(1)
    expect((await client.waitForAck('early2')).seq).toBe(2)
    // A pong needs no commit, so it may overtake the acks; it must have come all the same.
    expect(client.all('pong')).toEqual([{ type: 'pong', t: 42 }])
    expect(client.all('error')).toEqual([])
    expect(log.rows(canvas.id).map((r) => r.opId)).toEqual(['early1', 'early2'])
  })
})

describe('cursors', () => {
  it('[CUR1][CUR2][ROOM4] when an owner and a viewer each move many times within a tick, then the others get one cursors message with each latest position only', async () => {
    // A long tick: all the moves below land in the first one, whatever the machine's load.
    const server = await start({ realtimeLimits: { cursorTickMs: 250 } })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['viewer', 'editor'])
    const [viewer, editor] = members as [TestUser, TestUser]
    const a = await join(server, canvas.id, owner)
    const v = await join(server, canvas.id, viewer)
    const watcher = await join(server, canvas.id, editor)

    for (let i = 1; i <= 20; i++) {
      a.send({ type: 'cursor', x: i, y: -i })
      v.send({ type: 'cursor', x: 1000 + i, y: 0.5 * i })
    }
    const cursors = await watcher.waitFor<Extract<Received, { type: 'cursors' }>>((m) => m.type === 'cursors')
    expect(Object.keys(cursors).sort()).toEqual(['cursors', 'type'])
    expect([...cursors.cursors].sort((p, q) => p.userId.localeCompare(q.userId))).toEqual(
      [
        { userId: owner.id, x: 20, y: -20 },
        { userId: viewer.id, x: 1020, y: 10 },
      ].sort((p, q) => p.userId.localeCompare(q.userId)),
    )

    // The next move is sent on a later tick: nothing in between, so the first message was the only one.
    a.send({ type: 'cursor', x: 0, y: 0 })
    const next = await watcher.waitFor<Extract<Received, { type: 'cursors' }>>((m) => m.type === 'cursors')
    expect(next.cursors).toEqual([{ userId: owner.id, x: 0, y: 0 }])
    expect(watcher.all('cursors')).toHaveLength(2)
    expect(v.all('error')).toEqual([])
  })
})

describe('metrics', () => {
  it('[GW6] when sockets have joined and sent ops, cursors and pings, then /metrics counts connections, rooms, messages in, frames out and commit latency', async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const a = await join(server, canvas.id, owner)
    const b = await join(server, canvas.id, members[0] as TestUser)
    for (let i = 0; i < 3; i++)
      a.send({ type: 'object-create', opId: `m${i}`, object: { id: `m${i}`, type: 'rect' } })
    b.send({ type: 'cursor', x: 1, y: 1 })
    b.send({ type: 'ping', t: 1 })
    await a.waitForAck('m2')
    await b.waitFor((m) => m.type === 'object-created' && m.object.id === 'm2')
    await a.waitFor((m) => m.type === 'cursors')
    expect(b.all('pong')).toEqual([{ type: 'pong', t: 1 }])

    const text = await scrapeMetrics(server.http)
    expect(metricValue(text, 'ws_connections')).toBe(2)
    expect(metricValue(text, 'ws_rooms')).toBe(1)
    expect(metricValue(text, 'ws_messages_in_total', { type: 'auth' })).toBe(2)
    expect(metricValue(text, 'ws_messages_in_total', { type: 'object-create' })).toBe(3)
    expect(metricValue(text, 'ws_messages_in_total', { type: 'cursor' })).toBe(1)
    expect(metricValue(text, 'ws_messages_in_total', { type: 'ping' })).toBe(1)
    // b's user-connected, three broadcasts to b (batched or not), one cursors frame to each.
    expect(metricValue(text, 'ws_frames_out_total')).toBeGreaterThanOrEqual(4)
    expect(metricValue(text, 'op_commit_seconds_count')).toBe(3)
    expect(metricValue(text, 'op_commit_seconds_bucket', { le: '+Inf' })).toBe(3)

    a.close()
    b.close()
    await expect.poll(async () => metricValue(await scrapeMetrics(server.http), 'ws_connections')).toBe(0)
  })
})

describe('shutdown', () => {
  it('[GW5] when the app closes with sockets open, then they are closed with 1001, and a restart on the same data serves the same objects and seq', async () => {
    const dir = tempDir()
    cleanups.push(() => dir.remove())
    const first = await startTestServer({ clock: systemClock(), dataDir: dir.path })
    cleanups.push(() => first.close())
    const { owner, members, canvas } = await sharedCanvas(first.http, ['editor'])
    const editor = members[0] as TestUser
    const a = await join(first, canvas.id, owner)
    const b = await join(first, canvas.id, editor)
    for (let i = 0; i < 5; i++)
      a.send({ type: 'object-create', opId: `c${i}`, object: { id: `o${i}`, type: 'rect', x: i } })
    a.send({ type: 'object-update', opId: 'u', id: 'o1', changes: { fill: 'red' } })
    a.send({ type: 'object-delete', opId: 'd', id: 'o4' })
    expect((await a.waitForAck('d')).seq).toBe(7)
    const before = await canvasState(first.http, canvas.id, owner)

    await first.close()
    expect((await a.waitForClose()).code).toBe(1001)
    expect((await b.waitForClose()).code).toBe(1001)

    const second = await start({ dataDir: dir.path })
    const after = await canvasState(second.http, canvas.id, editor)
    expect(after).toEqual(before)
    expect(after.seq).toBe(7)
    const again = await join(second, canvas.id, editor)
    expect(again.authSuccess).toMatchObject({ seq: 7, objects: before.objects })
    again.send({ type: 'object-update', opId: 'after-restart', id: 'o0', changes: { x: 100 } })
    expect((await again.waitForAck('after-restart')).seq).toBe(8)
  })
})

import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { OpInput } from '../../src/core/room/logEntry.js'
import { opFromMessage } from '../../src/core/room/opFromMessage.js'
import { CLOSE_CODES } from '../../src/protocol/closeCodes.js'
import { systemClock } from '../support/clock.js'
import { sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'
import { createMsg, deleteMsg, updateMsg } from '../core/room/roomFixtures.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const create = (opId: string, id: string): OpInput => ({
  opId,
  userId: 'outside',
  op: { kind: 'create', object: { id, type: 'rect', x: 1, y: 1, width: 2, height: 2 } },
})

describe('entries committed outside the room [ROOM25]', () => {
  it('[ROOM25][BUS1] when another writer appends to the log and rings with all, some or none of the entries, then every client gets each one once, in seq order, with no gap', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor', 'viewer'])
    const clients = await Promise.all(
      [owner, ...members].map((u) => WsTestClient.connect(s.baseUrl, canvas.id, { token: u.token })),
    )
    const { opLog, bus } = s.deps
    // As another instance would: commit to the log, then publish what it committed.
    const first = await opLog.append(canvas.id, [create('x1', 'a'), create('x2', 'b')])
    bus.publishCommitted(canvas.id, 2, first)
    // A doorbell with the head only: the room reads the entries from the log.
    const second = await opLog.append(canvas.id, [create('x3', 'c')])
    bus.publishCommitted(canvas.id, second[0]?.seq ?? 0, [])
    // A lost notification, then a later one with only its own entry: the gap is read.
    await opLog.append(canvas.id, [create('x4', 'd')])
    const fifth = await opLog.append(canvas.id, [create('x5', 'e')])
    bus.publishCommitted(canvas.id, 5, fifth)
    // Told twice, and out of order: nothing is applied twice.
    bus.publishCommitted(canvas.id, 5, [...fifth, ...first])

    // A client's own edit after all that gets the next seq.
    const writer = clients[1] as WsTestClient
    writer.send({ type: 'object-create', opId: 'own', object: { id: 'f', type: 'ellipse', x: 0, y: 0 } })
    expect((await writer.waitForAck('own')).seq).toBe(6)

    // Its ack may overtake broadcasts still coalescing; they follow within a tick.
    await expect.poll(() => writer.all('object-created').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5])
    for (const client of clients.filter((c) => c !== writer)) {
      await client.waitFor((m) => m.type === 'object-created' && m.seq === 6)
      expect(client.all('object-created').map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6])
    }
    const state = await s.http.send<{ seq: number; objects: { id: string }[] }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: owner.token,
    })
    expect(state.body.seq).toBe(6)
    expect(state.body.objects.map((o) => o.id).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
  })

  it('[ROOM24] when a headless caller submits beside a socket, then it gets its seq, every socket sees it, and a viewer is refused', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor'])
    const [a, b] = await Promise.all(
      [owner, ...members].map((u) => WsTestClient.connect(s.baseUrl, canvas.id, { token: u.token })),
    )
    const room = await s.app.realtime.rooms.acquire(canvas.id)
    a?.send({ type: 'object-create', opId: 'ws-1', object: { id: 'w', type: 'rect' } })
    await a?.waitForAck('ws-1')
    const results = await room.submit({ userId: members[0]?.id ?? '', role: 'editor' }, [
      opFromMessage(createMsg('api-1', { id: 'h', type: 'text', text: 'hi' })),
    ])
    expect(results).toEqual([{ ok: true, opId: 'api-1', seq: 2 }])
    // A headless submitter is nobody's socket: its own socket hears of it like everyone else.
    await b?.waitFor((m) => m.type === 'object-created' && m.seq === 2)
    await a?.waitFor((m) => m.type === 'object-created' && m.seq === 2)
    const viewerTry = await room.submit({ userId: 'someone', role: 'viewer' }, [
      opFromMessage(deleteMsg('api-2', 'w')),
    ])
    expect(viewerTry).toEqual([expect.objectContaining({ ok: false, code: 'forbidden', opId: 'api-2' })])
  })
})

describe('ops naming objects the room has not applied yet [ROOM28]', () => {
  it('[ROOM28] when an object was committed by another writer whose doorbell has not rung, then an update naming it is accepted after the room reads the log to its end', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const { owner, canvas } = await sharedCanvas(s.http, [])
    const room = await s.app.realtime.rooms.acquire(canvas.id)
    // As another instance would, but with no doorbell at all.
    await s.deps.opLog.append(canvas.id, [create('elsewhere', 'far')])
    const results = await room.submit({ userId: owner.id, role: 'owner' }, [
      opFromMessage(updateMsg('u-1', 'far', { x: 9 })),
    ])
    expect(results).toEqual([{ ok: true, opId: 'u-1', seq: 2 }])
    const missing = await room.submit({ userId: owner.id, role: 'owner' }, [
      opFromMessage(updateMsg('u-2', 'nowhere', { x: 9 })),
    ])
    expect(missing).toEqual([expect.objectContaining({ ok: false, opId: 'u-2', code: 'not_found' })])
  })

  it('[ROOM28] when one user floods ops naming unknown objects, then the log is read a bounded number of times, and another user\u2019s ops do not wait behind them', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor'])
    const room = await s.app.realtime.rooms.acquire(canvas.id)
    const log = s.deps.opLog
    let reads = 0
    const readAfter = log.readAfter.bind(log)
    log.readAfter = (...args) => {
      reads += 1
      return readAfter(...args)
    }
    const flooder = { userId: members[0]?.id ?? '', role: 'editor' as const }
    const started = performance.now()
    const flood: Promise<unknown>[] = []
    for (let burst = 0; burst < 5; burst++) {
      for (let i = 0; i < 100; i++) {
        flood.push(
          room.submit(flooder, [
            opFromMessage(updateMsg(`f-${burst}-${i}`, `ghost-${burst}-${i}`, { x: 1 })),
          ]),
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Sent while the flooder's ops wait: decided at once, not behind them.
    let flooderSettled = 0
    for (const f of flood) void f.then(() => (flooderSettled += 1))
    const other = await room.submit({ userId: owner.id, role: 'owner' }, [
      opFromMessage(createMsg('o-1', { id: 'mine', type: 'rect' })),
    ])
    expect(other).toEqual([{ ok: true, opId: 'o-1', seq: 1 }])
    expect(flooderSettled).toBeLessThan(flood.length)
    const results = (await Promise.all(flood)).flat() as { ok: boolean; code?: string }[]
    expect(results).toHaveLength(500)
    expect(results.every((r) => !r.ok && r.code === 'not_found')).toBe(true)
    // One read per 100 ms at most, however many ops: two for what waited when each began.
    const elapsed = performance.now() - started
    expect(reads).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2)
    expect(reads).toBeLessThan(20)
  })
})

describe('canvas changes reach open editors live', () => {
  it('[LIVE1] when the owner renames the canvas over HTTP, then every socket gets canvas-updated with the new name', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor', 'viewer'])
    const clients = await Promise.all(
      [owner, ...members].map((u) => WsTestClient.connect(s.baseUrl, canvas.id, { token: u.token })),
    )
    const res = await s.http.send({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
      json: { name: 'Renamed live' },
    })
    expect(res.status).toBe(200)
    for (const client of clients) {
      const updated = await client.waitFor((m) => m.type === 'canvas-updated')
      expect(updated).toMatchObject({ canvas: { id: canvas.id, name: 'Renamed live' } })
    }
  })

  it('[LIVE2][Z2] when the owner turns an editor into a viewer and back, then the role applies to the open socket at once', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor'])
    const editor = members[0]
    if (!editor) throw new Error('no editor')
    const socket = await WsTestClient.connect(s.baseUrl, canvas.id, { token: editor.token })
    socket.send({ type: 'object-create', opId: 'before', object: { id: 'r', type: 'rect' } })
    await socket.waitForAck('before')

    const share = (role: 'viewer' | 'editor') =>
      s.http.send({
        method: 'POST',
        url: `/api/canvases/${canvas.id}/members`,
        token: owner.token,
        json: { email: editor.email, role },
      })
    expect((await share('viewer')).status).toBe(200)
    expect(await socket.waitFor((m) => m.type === 'role-changed')).toEqual({
      type: 'role-changed',
      role: 'viewer',
    })
    socket.send({ type: 'object-update', opId: 'as-viewer', id: 'r', changes: { x: 5 } })
    expect(await socket.waitForError('as-viewer')).toMatchObject({ code: 'forbidden' })

    expect((await share('editor')).status).toBe(200)
    await socket.waitFor((m) => m.type === 'role-changed' && m.role === 'editor')
    socket.send({ type: 'object-update', opId: 'as-editor', id: 'r', changes: { x: 6 } })
    expect((await socket.waitForAck('as-editor')).seq).toBe(2)
    expect(socket.closeInfo).toBeUndefined()
  })

  it('[LIVE3] when the owner deletes the canvas, then every socket gets an error and close 4410, edits go nowhere and nothing is logged as failed', async () => {
    const logLines: string[] = []
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((line) => line !== ''),
        )
        done()
      },
    })
    server = await startTestServer({ clock: systemClock(), logDestination })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor', 'viewer'])
    const clients = await Promise.all(
      [owner, ...members].map((u) => WsTestClient.connect(s.baseUrl, canvas.id, { token: u.token })),
    )
    clients[1]?.send({ type: 'object-create', opId: 'c', object: { id: 'r', type: 'rect' } })
    await clients[1]?.waitForAck('c')
    const room = await s.app.realtime.rooms.acquire(canvas.id)
    const res = await s.http.send({ method: 'DELETE', url: `/api/canvases/${canvas.id}`, token: owner.token })
    expect(res.status).toBe(204)
    for (const client of clients) {
      const error = await client.waitFor((m) => m.type === 'error')
      expect(error).toMatchObject({ code: 'not_found', message: 'this canvas was deleted' })
      expect((await client.closed).code).toBe(CLOSE_CODES.canvasDeleted)
    }
    expect(s.app.realtime.rooms.peek(canvas.id)).toBeUndefined()
    // An edit that still reaches the old room (an HTTP caller holding it) is refused, not logged.
    const late = await room.submit({ userId: owner.id, role: 'owner' }, [
      opFromMessage(createMsg('late', { id: 'late' })),
    ])
    expect(late).toEqual([expect.objectContaining({ ok: false, code: 'not_found', opId: 'late' })])
    const failures = logLines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 40)
    expect(failures.map((entry) => entry.msg)).toEqual([])
    // Reconnecting finds no canvas.
    const again = await WsTestClient.connect(s.baseUrl, canvas.id, {
      token: owner.token,
      authenticate: false,
    })
    again.send({ type: 'auth', token: owner.token })
    expect((await again.closed).code).toBe(CLOSE_CODES.notFound)
  })
})

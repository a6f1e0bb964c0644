import { beforeEach, describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../../../src/protocol/closeCodes.js'
import { MemoryPendingStore } from '../../../src/web/sync/pendingStore.js'
import { SyncEngine } from '../../../src/web/sync/syncEngine.js'
import { startFaultProxy } from '../../support/faultProxy.js'
import { shareCanvas } from '../../support/fixtures.js'
import {
  comparable,
  defer,
  newEngine,
  serverState,
  sharedCanvas,
  startServer,
  wsBaseOf,
} from './support/engineHarness.js'
import { isSavedOnline, waitForSnapshot } from './support/waitForSnapshot.js'
import { ScriptedSocket, welcome } from './support/scriptedSocket.js'

// The engine's side of canvas changes made over HTTP while the editor is open (docs/spec/sync.md,
// SYNC23, SYNC33, SYNC34), first on a scripted socket (the frames of messages.ts, in an order picked
// to reach each rule), then against the real server.

beforeEach(() => {
  ScriptedSocket.opened = []
})

async function joinedEngine(role = 'editor', pendingStore = new MemoryPendingStore()) {
  const engine = new SyncEngine({
    url: 'ws://127.0.0.1:1/ws/c1',
    canvasId: 'c1',
    token: 't',
    userId: 'me',
    pendingStore,
    WebSocketImpl: ScriptedSocket,
  })
  defer(() => engine.stop())
  await engine.start()
  const socket = ScriptedSocket.latest()
  socket.open()
  socket.receive(
    welcome({
      role,
      objects: [
        { id: 'r1', type: 'rect', x: 0, createdBy: 'me', updatedAt: '2026-01-01T00:00:00.000Z', version: 1 },
      ],
      seq: 1,
    }),
  )
  return { engine, socket, pendingStore }
}

/** Lets the store's writes finish (and the ops they release go out). */
const settle = () => new Promise((resolve) => setImmediate(resolve))
const sentOps = (socket: ScriptedSocket) => socket.sentMessages().filter((m) => m.type.startsWith('object-'))

describe('SyncEngine: canvas changes made elsewhere', () => {
  it('[SYNC34] when the canvas is renamed, then the snapshot carries the new name at once', async () => {
    const { engine, socket } = await joinedEngine()
    expect(engine.getSnapshot().canvas).toBeUndefined()
    const canvas = { id: 'c1', name: 'Renamed', updatedAt: '2026-01-02T00:00:00.000Z' }
    socket.receive({ type: 'canvas-updated', canvas })
    expect(engine.getSnapshot().canvas).toEqual(canvas)
    expect(engine.getSnapshot().status).toBe('online')
  })

  it('[SYNC33] when an editor becomes a viewer, then unsent edits go at once, refused ones follow, one plain notice counts them, and editing is refused until the role comes back', async () => {
    const { engine, socket, pendingStore } = await joinedEngine()
    engine.update('r1', { x: 5 })
    await settle()
    const [inFlight] = sentOps(socket)
    expect(inFlight).toMatchObject({ type: 'object-update' })
    // A "not now" refusal takes it off the wire: it waits for the backoff.
    socket.receive({ type: 'error', code: 'rate_limited', message: 'slow down', opId: inFlight?.opId })
    engine.create({ id: 'r2', type: 'ellipse' })
    await settle()
    expect(engine.getSnapshot().pendingCount).toBe(2)

    socket.receive({ type: 'role-changed', role: 'viewer' })
    const demoted = engine.getSnapshot()
    expect(demoted.me?.role).toBe('viewer')
    expect(demoted.pendingCount).toBe(0) // neither was on the wire any more
    expect(demoted.objects.has('r2')).toBe(false)
    expect(demoted.objects.get('r1')?.x).toBe(0)
    expect(demoted.lastError).toEqual({
      code: 'edits_discarded',
      message: 'you can only view this canvas now: 2 unsaved changes were discarded',
    })
    expect(demoted.canUndo).toBe(false)
    await settle()
    expect(await pendingStore.load('c1')).toEqual([])

    engine.update('r1', { x: 8 })
    expect(engine.getSnapshot()).toMatchObject({ pendingCount: 0, lastError: { code: 'forbidden' } })

    socket.receive({ type: 'role-changed', role: 'editor' })
    engine.update('r1', { x: 8 })
    expect(engine.getSnapshot()).toMatchObject({ pendingCount: 1, me: { role: 'editor' } })
  })

  it('[SYNC33] when edits already sent are refused after the role changed, then they leave the view and the notice counts them', async () => {
    const { engine, socket } = await joinedEngine()
    engine.update('r1', { x: 5 })
    engine.create({ id: 'r2', type: 'ellipse' })
    await settle()
    const [first, second] = sentOps(socket)
    socket.receive({ type: 'role-changed', role: 'viewer' })
    expect(engine.getSnapshot().pendingCount).toBe(2) // in flight: acked or refused
    expect(engine.getSnapshot().lastError).toBeUndefined()
    socket.receive({ type: 'ack', opId: first?.opId, seq: 2 })
    socket.receive({ type: 'error', code: 'forbidden', message: 'viewers cannot edit', opId: second?.opId })
    const after = engine.getSnapshot()
    expect(after).toMatchObject({ pendingCount: 0, saved: true, seq: 2 })
    expect(after.objects.get('r1')?.x).toBe(5)
    expect(after.objects.has('r2')).toBe(false)
    expect(after.lastError?.message).toBe('you can only view this canvas now: 1 unsaved change was discarded')
  })

  it('[SYNC33] when edits queued offline meet a welcome as a viewer, then they are dropped, not sent', async () => {
    const pendingStore = new MemoryPendingStore()
    await pendingStore.put('c1', {
      opId: 'queued',
      op: { kind: 'update', id: 'r1', changes: { x: 3 } },
      at: 0,
      order: 1,
      userId: 'me',
    })
    const { engine, socket } = await joinedEngine('viewer', pendingStore)
    expect(engine.getSnapshot()).toMatchObject({ pendingCount: 0, lastError: { code: 'edits_discarded' } })
    expect(sentOps(socket)).toEqual([])
    await settle()
    expect(await pendingStore.load('c1')).toEqual([])
  })

  it('[SYNC23] when the canvas is deleted, then the engine stops for good, says why, and keeps no queued edit for it', async () => {
    const { engine, socket, pendingStore } = await joinedEngine()
    engine.update('r1', { x: 5 })
    await settle()
    expect(await pendingStore.load('c1')).toHaveLength(1)
    socket.receive({ type: 'error', code: 'not_found', message: 'this canvas was deleted' })
    socket.serverClose(CLOSE_CODES.canvasDeleted, 'this canvas was deleted')
    const closed = engine.getSnapshot()
    expect(closed).toMatchObject({
      status: 'closed',
      closeReason: { code: CLOSE_CODES.canvasDeleted, message: 'this canvas was deleted' },
      pendingCount: 0,
      retryAt: undefined,
    })
    await settle()
    expect(await pendingStore.load('c1')).toEqual([])
    engine.reconnectNow()
    expect(ScriptedSocket.opened).toHaveLength(1)
    engine.create({ id: 'r9', type: 'rect' })
    expect(engine.getSnapshot().lastError).toEqual({ code: 'forbidden', message: 'this canvas was deleted' })
  })
})

describe('SyncEngine against the server: canvas changes made over HTTP', () => {
  it('[SYNC33] [SYNC34] when bob’s edits are on their way as alice makes him a viewer, then the server refuses them and bob’s view drops them with one notice', async () => {
    const server = await startServer()
    const { alice, bob, canvasId } = await sharedCanvas(server.http)
    const proxy = await startFaultProxy(server.baseUrl)
    defer(() => proxy.close())
    const a = newEngine({ wsBaseUrl: wsBaseOf(server), canvasId, user: alice })
    const b = newEngine({ wsBaseUrl: proxy.wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    a.create({ id: 'r1', type: 'rect', x: 0 })
    await waitForSnapshot(b, (s) => isSavedOnline(s) && s.objects.has('r1'), 'r1 at bob')

    const renamed = await server.http.send({
      method: 'PATCH',
      url: `/api/canvases/${canvasId}`,
      token: alice.token,
      json: { name: 'Renamed live' },
    })
    expect(renamed.status, renamed.text).toBe(200)
    const named = await waitForSnapshot(b, (s) => s.canvas !== undefined, 'the new name at bob')
    expect(named.canvas).toMatchObject({ id: canvasId, name: 'Renamed live' })

    proxy.holdUpstream()
    b.update('r1', { x: 5 })
    b.create({ id: 'r2', type: 'ellipse' })
    await waitForSnapshot(b, (s) => s.pendingCount === 2, 'two edits on their way')
    await shareCanvas(server.http, alice, canvasId, bob, 'viewer')
    const demoted = await waitForSnapshot(b, (s) => s.me?.role === 'viewer', 'bob a viewer')
    expect(demoted.pendingCount).toBe(2)
    proxy.releaseUpstream()
    const dropped = await waitForSnapshot(b, (s) => s.saved, 'the refusals')
    expect(dropped.lastError).toEqual({
      code: 'edits_discarded',
      message: 'you can only view this canvas now: 2 unsaved changes were discarded',
    })
    expect(comparable(dropped.objects.values())).toEqual(
      comparable((await serverState(server, alice, canvasId)).objects),
    )
    expect(dropped.objects.get('r1')?.x).toBe(0)

    const deleted = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvasId}`,
      token: alice.token,
    })
    expect(deleted.status, deleted.text).toBe(204)
    const closed = await waitForSnapshot(b, (s) => s.status === 'closed', 'closed')
    expect(closed.closeReason?.code).toBe(CLOSE_CODES.canvasDeleted)
  })
})

import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../../../src/protocol/closeCodes.js'
import { MemoryPendingStore, type PendingStore } from '../../../src/web/sync/pendingStore.js'
import { canvasSocketUrl, SyncEngine } from '../../../src/web/sync/syncEngine.js'
import { registerUser, shareCanvas } from '../../support/fixtures.js'
import {
  aliceCanvas,
  comparable,
  newEngine,
  serverState,
  sharedCanvas,
  startServer,
  wsBaseOf,
} from './support/engineHarness.js'
import { startFaultProxy } from '../../support/faultProxy.js'
import { isOnline, isSavedOnline, waitForSnapshot } from './support/waitForSnapshot.js'

async function twoEditors() {
  const server = await startServer()
  const { alice, bob, canvasId } = await sharedCanvas(server.http)
  return { server, alice, bob, canvasId, wsBaseUrl: wsBaseOf(server) }
}

async function oneEditor() {
  const server = await startServer()
  const { alice, canvasId } = await aliceCanvas(server.http)
  return { server, alice, canvasId, wsBaseUrl: wsBaseOf(server) }
}

describe('SyncEngine against the server: edits', () => {
  it('[SYNC1] [SYNC2] when an object is created, then the view has it at once and saved flips once it is acked', async () => {
    const { server, alice, canvasId, wsBaseUrl } = await oneEditor()
    const engine = newEngine({ wsBaseUrl, canvasId, user: alice })
    await engine.start()
    await waitForSnapshot(engine, isOnline, 'online')

    engine.create({ id: 'r1', type: 'rect', x: 10, y: 20, width: 100, height: 50, fill: '#3E63DD' })
    const optimistic = engine.getSnapshot()
    expect(optimistic.objects.get('r1')).toMatchObject({ x: 10, createdBy: alice.id, version: 1 })
    expect(optimistic).toMatchObject({ saved: false, pendingCount: 1, canUndo: true })

    const acked = await waitForSnapshot(engine, (s) => s.saved, 'saved')
    expect(acked).toMatchObject({ seq: 1, pendingCount: 0 })
    const state = await serverState(server, alice, canvasId)
    expect(comparable(acked.objects.values())).toEqual(comparable(state.objects))
  })

  it('[SYNC5] when a remote edit of the same property lands before our held op, then ours shows and wins once acked', async () => {
    const { server, alice, bob, canvasId, wsBaseUrl } = await twoEditors()
    const proxy = await startFaultProxy(server.baseUrl)
    const a = newEngine({ wsBaseUrl: proxy.wsBaseUrl, canvasId, user: alice })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    a.create({ id: 'r1', type: 'rect', x: 0, y: 0 })
    await waitForSnapshot(b, (s) => s.objects.has('r1'), 'r1 at bob')

    proxy.holdUpstream()
    a.update('r1', { x: 1 })
    b.update('r1', { x: 2, y: 5 })
    const seen = await waitForSnapshot(a, (s) => s.seq === 2, 'bob’s update at alice')
    expect(seen.objects.get('r1')).toMatchObject({ x: 1, y: 5 })
    expect(seen.saved).toBe(false)

    proxy.releaseUpstream()
    const done = await waitForSnapshot(a, (s) => s.saved, 'alice saved')
    expect(done.seq).toBe(3)
    const atBob = await waitForSnapshot(b, (s) => s.seq === 3, 'alice’s update at bob')
    expect(atBob.objects.get('r1')).toMatchObject({ x: 1, y: 5 })
    const state = await serverState(server, alice, canvasId)
    expect(comparable(done.objects.values())).toEqual(comparable(state.objects))
    expect(comparable(atBob.objects.values())).toEqual(comparable(state.objects))
  })

  it('[SYNC5] when a remote edit of the same property is committed after ours, then theirs wins everywhere', async () => {
    const { alice, bob, canvasId, wsBaseUrl } = await twoEditors()
    const a = newEngine({ wsBaseUrl, canvasId, user: alice })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    a.create({ id: 'r1', type: 'rect', x: 0 })
    await waitForSnapshot(a, (s) => s.saved, 'created')
    a.update('r1', { x: 1 })
    await waitForSnapshot(b, (s) => s.objects.get('r1')?.x === 1, 'x=1 at bob')
    b.update('r1', { x: 2 })
    const atAlice = await waitForSnapshot(a, (s) => s.seq === 3, 'bob’s update at alice')
    expect(atAlice.objects.get('r1')?.x).toBe(2)
  })

  it('[SYNC7] when the server refuses an op, then it is dropped from pending, store and undo, and the view follows the server', async () => {
    const { alice, canvasId, wsBaseUrl } = await oneEditor()
    const pendingStore = new MemoryPendingStore()
    const engine = newEngine({ wsBaseUrl, canvasId, user: alice, pendingStore })
    await engine.start()
    engine.create({ id: 'r1', type: 'rect', x: 0 })
    await waitForSnapshot(engine, isSavedOnline, 'created')

    engine.update('r1', { parentId: 'ghost', x: 5 })
    expect(engine.getSnapshot().objects.get('r1')).toMatchObject({ parentId: 'ghost', x: 5 })
    const after = await waitForSnapshot(engine, (s) => s.lastError !== undefined && s.saved, 'the refusal')
    expect(after.lastError?.code).toBe('invalid_input')
    expect(after.objects.get('r1')).not.toHaveProperty('parentId')
    expect(after.objects.get('r1')?.x).toBe(0)
    expect(await pendingStore.load(canvasId)).toEqual([])
    engine.dismissError()
    expect(engine.getSnapshot().lastError).toBeUndefined()
    // The refused update left no undo step: undo takes back the create.
    engine.undo()
    expect(engine.getSnapshot().objects.has('r1')).toBe(false)
  })

  it('[SYNC30] when a viewer edits, or an edit names a taken or missing id, then it is refused locally and nothing is sent', async () => {
    const { server, alice, canvasId, wsBaseUrl } = await oneEditor()
    const carol = await registerUser(server.http, { username: 'carol' })
    await shareCanvas(server.http, alice, canvasId, carol, 'viewer')
    const viewer = newEngine({ wsBaseUrl, canvasId, user: carol })
    await viewer.start()
    await waitForSnapshot(viewer, isOnline, 'online')
    viewer.create({ id: 'r1', type: 'rect' })
    expect(viewer.getSnapshot()).toMatchObject({ pendingCount: 0, lastError: { code: 'forbidden' } })
    expect(viewer.getSnapshot().objects.size).toBe(0)

    const editor = newEngine({ wsBaseUrl, canvasId, user: alice })
    await editor.start()
    editor.create({ id: 'r1', type: 'rect', x: 1 })
    editor.create({ id: 'r1', type: 'ellipse' })
    expect(editor.getSnapshot().lastError?.code).toBe('conflict')
    editor.update('nope', { x: 1 })
    expect(editor.getSnapshot().lastError?.code).toBe('not_found')
    editor.update('r1', { x: 1 }) // the value it has: nothing to send
    editor.remove(['nope'])
    editor.update('r1', {
      text: 'x'.repeat(9_000),
      points: Array.from({ length: 20_000 }, (_, i) => i + 0.123456789),
    })
    expect(editor.getSnapshot().lastError?.code).toBe('payload_too_large')
    expect(editor.getSnapshot().pendingCount).toBe(1)
    await waitForSnapshot(editor, (s) => s.saved && s.seq === 1, 'only the create stored')
  })
})

describe('SyncEngine against the server: undo and redo', () => {
  it('[SYNC10] [SYNC11] [SYNC12] when someone changed a property since, then undo never reverts it, and redo and undo of a create follow', async () => {
    const { server, alice, bob, canvasId, wsBaseUrl } = await twoEditors()
    const a = newEngine({ wsBaseUrl, canvasId, user: alice })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    const settle = async (seq: number) => {
      await waitForSnapshot(a, (s) => s.saved && s.seq === seq, `alice saved at ${seq}`)
      return waitForSnapshot(b, (s) => s.seq === seq, `bob at ${seq}`)
    }

    a.create({ id: 'r1', type: 'rect', x: 0, fill: '#f00' })
    a.update('r1', { x: 10, fill: '#00f' })
    await settle(2)
    b.update('r1', { x: 50 })
    await waitForSnapshot(a, (s) => s.objects.get('r1')?.x === 50, 'bob’s x at alice')

    a.undo() // x is bob's now: only fill goes back
    expect(a.getSnapshot().objects.get('r1')).toMatchObject({ x: 50, fill: '#f00' })
    expect((await settle(4)).objects.get('r1')).toMatchObject({ x: 50, fill: '#f00' })

    a.redo()
    expect((await settle(5)).objects.get('r1')).toMatchObject({ x: 50, fill: '#00f' })
    a.undo()
    await settle(6)
    a.undo() // the create: the object goes
    expect((await settle(7)).objects.has('r1')).toBe(false)
    expect(a.getSnapshot().canUndo).toBe(false)

    a.redo() // back, same id, with the properties it had, bob's x included
    const back = await settle(8)
    expect(back.objects.get('r1')).toMatchObject({ x: 50, fill: '#f00', createdBy: alice.id })
    const state = await serverState(server, alice, canvasId)
    expect(comparable(state.objects)).toEqual(comparable(back.objects.values()))
    expect(comparable(a.getSnapshot().objects.values())).toEqual(comparable(state.objects))
  })

  it('[SYNC12] when every property of the step was changed by someone else, then undo sends nothing and uses the step up', async () => {
    const { alice, bob, canvasId, wsBaseUrl } = await twoEditors()
    const a = newEngine({ wsBaseUrl, canvasId, user: alice })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    a.create({ id: 'r1', type: 'rect', x: 0 })
    a.update('r1', { x: 10 })
    await waitForSnapshot(b, (s) => s.seq === 2, 'alice’s edits at bob')
    b.update('r1', { x: 50 })
    await waitForSnapshot(a, (s) => s.seq === 3, 'bob’s x at alice')
    a.undo()
    expect(a.getSnapshot()).toMatchObject({ pendingCount: 0, canUndo: true, canRedo: false })
    expect(a.getSnapshot().objects.get('r1')?.x).toBe(50)
  })

  it('[SYNC13] when a multi-selection is moved in a transaction, then one undo moves every object back', async () => {
    const { server, alice, canvasId, wsBaseUrl } = await oneEditor()
    const a = newEngine({ wsBaseUrl, canvasId, user: alice })
    await a.start()
    a.transact(() => {
      a.create({ id: 'r1', type: 'rect', x: 0 })
      a.create({ id: 'r2', type: 'rect', x: 100 })
    })
    a.beginStep() // a drag: many updates, one step
    for (let dx = 1; dx <= 5; dx++) {
      a.transact(() => {
        a.update('r1', { x: dx })
        a.update('r2', { x: 100 + dx })
      })
    }
    a.endStep()
    await waitForSnapshot(a, (s) => s.saved && s.seq === 12, 'the drag saved')
    a.undo()
    const undone = await waitForSnapshot(a, (s) => s.saved && s.seq === 14, 'the undo saved')
    expect(undone.objects.get('r1')?.x).toBe(0)
    expect(undone.objects.get('r2')?.x).toBe(100)
    a.undo()
    const empty = await waitForSnapshot(a, (s) => s.saved && s.seq === 16, 'the creates undone')
    expect(empty.objects.size).toBe(0)
    expect((await serverState(server, alice, canvasId)).objects).toEqual([])
  })
})

describe('SyncEngine against the server: presence and cursors', () => {
  it('[SYNC27] [SYNC28] when alice moves her cursor in a burst, then bob sees her latest position and name, and alice never sees her own', async () => {
    const { alice, bob, canvasId, wsBaseUrl } = await twoEditors()
    const cursorFrames: { x: number; y: number }[] = []
    class CountingWebSocket extends WebSocket {
      override send(data: string): void {
        const message = JSON.parse(data) as { type: string; x: number; y: number }
        if (message.type === 'cursor') cursorFrames.push({ x: message.x, y: message.y })
        super.send(data)
      }
    }
    const a = newEngine({
      wsBaseUrl,
      canvasId,
      user: alice,
      WebSocketImpl: CountingWebSocket,
      cursorIntervalMs: 50,
    })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await b.start()
    await waitForSnapshot(b, isOnline, 'bob online')
    await a.start()
    const present = await waitForSnapshot(b, (s) => s.users.length === 2, 'alice present at bob')
    expect(present.users.map((u) => u.username).sort()).toEqual(['alice', 'bob'])

    for (let i = 1; i <= 100; i++) a.moveCursor(i, 2 * i)
    const seen = await waitForSnapshot(
      b,
      (s) => s.cursors.get(alice.id)?.x === 100,
      'alice’s last position at bob',
    )
    expect(seen.cursors.get(alice.id)).toMatchObject({ username: 'alice', x: 100, y: 200 })
    expect(cursorFrames.length).toBeLessThanOrEqual(2)
    expect(cursorFrames.at(-1)).toEqual({ x: 100, y: 200 })

    b.moveCursor(5, 5)
    await waitForSnapshot(a, (s) => s.cursors.has(bob.id), 'bob’s cursor at alice')
    expect(a.getSnapshot().cursors.has(alice.id)).toBe(false)

    a.stop()
    const gone = await waitForSnapshot(b, (s) => s.users.length === 1, 'alice gone at bob')
    expect(gone.cursors.has(alice.id)).toBe(false)
    expect(a.getSnapshot().status).toBe('closed')
  })
})

describe('SyncEngine against the server: access', () => {
  it.each([
    ['the canvas is not shared with the user', 'stranger', CLOSE_CODES.forbidden],
    ['the token is bad', 'bad-token', CLOSE_CODES.unauthorized],
    ['the canvas does not exist', 'unknown', CLOSE_CODES.notFound],
  ])(
    '[SYNC23] when %s, then the engine stops with the close code and refuses edits',
    async (_, who, code) => {
      const { server, alice, canvasId, wsBaseUrl } = await oneEditor()
      const stranger = who === 'stranger' ? await registerUser(server.http, { username: 'stranger' }) : alice
      const user = who === 'bad-token' ? { ...stranger, token: 'not-a-session' } : stranger
      const engine = newEngine({ wsBaseUrl, canvasId: who === 'unknown' ? 'no-such-canvas' : canvasId, user })
      await engine.start()
      const closed = await waitForSnapshot(engine, (s) => s.status === 'closed', 'closed')
      expect(closed.closeReason?.code).toBe(code)
      expect(closed.retryAt).toBeUndefined()
      engine.create({ id: 'r1', type: 'rect' })
      expect(engine.getSnapshot()).toMatchObject({ pendingCount: 0, lastError: { code: 'forbidden' } })
    },
  )
})

describe('SyncEngine: snapshots', () => {
  it('[SYNC29] when nothing changes, then getSnapshot returns the same frozen object; a transaction notifies once', async () => {
    // Not started, and a store whose writes never finish: the edits are the only changes.
    const stuck: PendingStore = {
      load: async () => [],
      put: () => new Promise<void>(() => {}),
      remove: async () => {},
    }
    const engine = new SyncEngine({
      url: 'ws://127.0.0.1:9/ws/c1',
      canvasId: 'c1',
      pendingStore: stuck,
      WebSocketImpl: WebSocket,
    })
    const { getSnapshot, subscribe } = engine // React calls them unbound
    const first = getSnapshot()
    expect(engine.getSnapshot()).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(first).toMatchObject({ status: 'connecting', saved: true, seq: 0, canUndo: false })

    let notified = 0
    const unsubscribe = subscribe(() => notified++)
    engine.transact(() => {
      engine.create({ id: 'r1', type: 'rect' })
      engine.create({ id: 'r2', type: 'rect' })
      engine.update('r1', { x: 3 })
    })
    const second = engine.getSnapshot()
    expect(second).not.toBe(first)
    expect(first.objects.size).toBe(0)
    expect(second.objects.get('r1')?.x).toBe(3)
    expect(second.cursors).toBe(first.cursors) // unchanged parts keep their identity
    expect(notified).toBe(0)
    await new Promise((resolve) => setImmediate(resolve))
    expect(notified).toBe(1)
    expect(engine.getSnapshot()).toBe(second)
    engine.update('nope', { x: 1 })
    const third = getSnapshot()
    expect(third).not.toBe(second)
    expect(third.lastError?.code).toBe('not_found')
    expect(third.objects).toBe(second.objects)
    unsubscribe()
    engine.stop()
  })
})

describe('canvasSocketUrl', () => {
  it.each([
    ['http://localhost:5000/canvas/abc', 'ws://localhost:5000/ws/abc'],
    ['https://canvas.example/canvas/abc?x=1#y', 'wss://canvas.example/ws/abc'],
  ])('[SYNC31] when the page is %s, then the socket is %s', (page, socket) => {
    expect(canvasSocketUrl('abc', page)).toBe(socket)
  })
})

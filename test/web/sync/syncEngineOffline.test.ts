import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import type { UnbatchedServerMessage } from '../../../src/protocol/messages.js'
import type { PendingOp } from '../../../src/web/sync/pendingOp.js'
import {
  IndexedDbPendingStore,
  MemoryPendingStore,
  type PendingStore,
} from '../../../src/web/sync/pendingStore.js'
import type { ConnectionStatus } from '../../../src/web/sync/syncEngine.js'
import { systemClock } from '../../support/clock.js'
import { createCanvas, registerUser, shareCanvas } from '../../support/fixtures.js'
import { startTestServer } from '../../support/startTestServer.js'
import { tempDir } from '../../support/tempDir.js'
import {
  aliceCanvas,
  comparable,
  defer,
  newEngine,
  serverState,
  startServer,
  wsBaseOf,
} from './support/engineHarness.js'
import { startFaultProxy } from '../../support/faultProxy.js'
import { isOnline, isSavedOnline, waitForSnapshot } from './support/waitForSnapshot.js'

/** A server, alice (and bob, when asked) on a canvas, and a proxy in front of the server for alice. */
async function behindProxy({ withBob = false } = {}) {
  const server = await startServer()
  const { alice, canvasId } = await aliceCanvas(server.http)
  const bob = withBob ? await registerUser(server.http, { username: 'bob' }) : alice
  if (withBob) await shareCanvas(server.http, alice, canvasId, bob, 'editor')
  const proxy = await startFaultProxy(server.baseUrl)
  defer(() => proxy.close())
  return { server, alice, bob, canvasId, proxy }
}

const offline = (s: { status: ConnectionStatus }) => s.status === 'offline' || s.status === 'reconnecting'

describe('SyncEngine: offline, reconnect, resume', () => {
  it('[SYNC25] [SYNC22] [R3] when 100 edits are made while the server is down, then after its restart each is applied once', async () => {
    const dir = tempDir()
    defer(() => dir.remove())
    const first = await startTestServer({ clock: systemClock(), dataDir: dir.path })
    defer(() => first.close())
    const alice = await registerUser(first.http, { username: 'alice' })
    const canvasId = (await createCanvas(first.http, alice)).id
    const proxy = await startFaultProxy(first.baseUrl)
    defer(() => proxy.close())
    const welcomes: UnbatchedServerMessage[] = []
    const engine = newEngine({
      wsBaseUrl: proxy.wsBaseUrl,
      canvasId,
      user: alice,
      onServerMessage: (m) => {
        if (m.type === 'auth-success') welcomes.push(m)
      },
    })
    await engine.start()
    engine.create({ id: 'r0', type: 'rect', x: 0 })
    await waitForSnapshot(engine, isSavedOnline, 'r0 saved')

    await first.close()
    await waitForSnapshot(engine, offline, 'offline')
    for (let i = 1; i <= 10; i++) {
      engine.create({ id: `r${i}`, type: 'rect', x: 100 })
      for (let x = 0; x < 9; x++) engine.update(`r${i}`, { x: x * i })
    }
    const queued = engine.getSnapshot()
    expect(queued).toMatchObject({ saved: false, pendingCount: 100, seq: 1 })
    expect(queued.objects.get('r10')?.x).toBe(80)

    const second = await startServer({ dataDir: dir.path })
    proxy.retarget(second.baseUrl)
    const saved = await waitForSnapshot(engine, isSavedOnline, 'everything saved', 10_000)
    const state = await serverState(second, alice, canvasId)
    expect(state.seq).toBe(101)
    expect(saved.seq).toBe(101)
    expect(comparable(saved.objects.values())).toEqual(comparable(state.objects))
    expect(welcomes.map((w) => w.type === 'auth-success' && w.resumed === true)).toEqual([false, true])
  })

  it('[SYNC22] [SYNC26] when the network drops while others edit, then the resume brings exactly the missed events', async () => {
    const { alice, bob, canvasId, proxy, server } = await behindProxy({ withBob: true })
    const received: UnbatchedServerMessage[] = []
    const a = newEngine({
      wsBaseUrl: proxy.wsBaseUrl,
      canvasId,
      user: alice,
      onServerMessage: (m) => received.push(m),
    })
    const b = newEngine({ wsBaseUrl: wsBaseOf(server), canvasId, user: bob })
    const statuses: ConnectionStatus[] = []
    a.subscribe(() => {
      const { status } = a.getSnapshot()
      if (statuses.at(-1) !== status) statuses.push(status)
    })
    await Promise.all([a.start(), b.start()])
    a.create({ id: 'r1', type: 'rect', x: 0 })
    // Alice's own ack too: under load it can still be in flight when the network drops, and
    // then the resume rightly brings seq 1 as well.
    await Promise.all([
      waitForSnapshot(b, (s) => s.seq === 1, 'r1 at bob'),
      waitForSnapshot(a, (s) => s.seq === 1 && s.saved, 'r1 acked to alice'),
    ])

    proxy.setOffline(true)
    const down = await waitForSnapshot(a, (s) => s.status === 'offline', 'offline')
    expect(down.retryAt).toBeGreaterThan(0)
    expect(down.users).toEqual([])
    received.length = 0
    for (let x = 1; x <= 5; x++) b.update('r1', { x })
    b.create({ id: 'r2', type: 'ellipse' })
    await waitForSnapshot(b, (s) => s.saved && s.seq === 7, 'bob saved')

    proxy.setOffline(false)
    const back = await waitForSnapshot(a, (s) => isOnline(s) && s.seq === 7, 'alice caught up')
    const welcomeAt = received.findIndex((m) => m.type === 'auth-success')
    const missed = received.slice(0, welcomeAt)
    expect(missed.map((m) => m.type)).toEqual([...Array<string>(5).fill('object-updated'), 'object-created'])
    expect(missed.map((m) => ('seq' in m ? m.seq : -1))).toEqual([2, 3, 4, 5, 6, 7])
    expect(received[welcomeAt]).toMatchObject({ type: 'auth-success', resumed: true, seq: 7, objects: [] })
    expect(comparable(back.objects.values())).toEqual(
      comparable((await serverState(server, alice, canvasId)).objects),
    )
    expect(statuses.slice(0, 2)).toEqual(['connecting', 'online'])
    expect(statuses).toContain('offline')
    expect(statuses).toContain('reconnecting')
    expect(statuses.at(-1)).toBe('online')
  })

  it('[SYNC26] when the server goes silent, then its ping goes unanswered, the engine drops the socket and reconnects', async () => {
    const { alice, canvasId, proxy } = await behindProxy()
    const engine = newEngine({ wsBaseUrl: proxy.wsBaseUrl, canvasId, user: alice, heartbeatMs: 150 })
    await engine.start()
    await waitForSnapshot(engine, isOnline, 'online')
    proxy.dropDownstream(true)
    await waitForSnapshot(engine, (s) => !isOnline(s), 'the silent socket dropped')
    proxy.dropDownstream(false)
    engine.create({ id: 'r1', type: 'rect' })
    await waitForSnapshot(engine, isSavedOnline, 'back and saved')
  })

  it('[SYNC7] when the server says "rate_limited", then the refused ops are kept and sent again until all are stored', async () => {
    const server = await startServer({ realtimeLimits: { ops: { capacity: 3, refillPerSec: 50 } } })
    const { alice, canvasId } = await aliceCanvas(server.http)
    const engine = newEngine({ wsBaseUrl: wsBaseOf(server), canvasId, user: alice })
    await engine.start()
    await waitForSnapshot(engine, isOnline, 'online')
    engine.transact(() => {
      for (let i = 0; i < 20; i++) engine.create({ id: `r${i}`, type: 'rect', x: i })
    })
    const saved = await waitForSnapshot(engine, (s) => s.saved, 'all saved', 10_000)
    expect(saved.lastError?.code).toBe('rate_limited')
    const state = await serverState(server, alice, canvasId)
    expect(state.seq).toBe(20)
    expect(comparable(saved.objects.values())).toEqual(comparable(state.objects))
  })
})

describe('SyncEngine: the pending store', () => {
  it('[SYNC24] when the tab is reloaded while offline, then the new engine shows and sends the queued edits once', async () => {
    const { server, alice, canvasId, proxy } = await behindProxy()
    const pendingStore = new MemoryPendingStore()
    const before = newEngine({ wsBaseUrl: proxy.wsBaseUrl, canvasId, user: alice, pendingStore })
    await before.start()
    before.create({ id: 'r1', type: 'rect', x: 0 })
    await waitForSnapshot(before, isSavedOnline, 'r1 saved')
    proxy.setOffline(true)
    await waitForSnapshot(before, offline, 'offline')
    before.update('r1', { x: 5 })
    before.create({ id: 'r2', type: 'text', text: 'queued' })
    await waitForSnapshot(before, (s) => s.pendingCount === 2, 'two queued')
    before.stop()
    await expect.poll(async () => (await pendingStore.load(canvasId)).length).toBe(2)

    const after = newEngine({ wsBaseUrl: proxy.wsBaseUrl, canvasId, user: alice, pendingStore })
    await after.start()
    const reloaded = after.getSnapshot()
    expect(reloaded).toMatchObject({ pendingCount: 2, saved: false })
    expect(reloaded.objects.get('r2')).toMatchObject({ text: 'queued' })
    proxy.setOffline(false)
    const saved = await waitForSnapshot(after, isSavedOnline, 'sent after the reload')
    const state = await serverState(server, alice, canvasId)
    expect(state.seq).toBe(3)
    expect(comparable(saved.objects.values())).toEqual(comparable(state.objects))
    await expect.poll(() => pendingStore.load(canvasId)).toEqual([])
  })

  it('[SYNC21] [SYNC24] when the tab closes after the server committed but before the acks, then the reload resends and each op applies once', async () => {
    const { server, alice, bob, canvasId, proxy } = await behindProxy({ withBob: true })
    const dbName = `sync-${randomUUID()}`
    const before = newEngine({
      wsBaseUrl: proxy.wsBaseUrl,
      canvasId,
      user: alice,
      pendingStore: new IndexedDbPendingStore(dbName),
    })
    const atBob: UnbatchedServerMessage[] = []
    const b = newEngine({
      wsBaseUrl: wsBaseOf(server),
      canvasId,
      user: bob,
      onServerMessage: (m) => atBob.push(m),
    })
    await Promise.all([before.start(), b.start()])
    await waitForSnapshot(before, isOnline, 'alice online')

    proxy.dropDownstream(true)
    before.create({ id: 'r1', type: 'rect', x: 0 })
    before.update('r1', { x: 7 })
    await waitForSnapshot(b, (s) => s.objects.get('r1')?.x === 7, 'both ops committed (seen by bob)')
    expect(before.getSnapshot().pendingCount).toBe(2)
    before.stop()
    proxy.dropDownstream(false)
    proxy.resetAll()

    const after = newEngine({
      wsBaseUrl: proxy.wsBaseUrl,
      canvasId,
      user: alice,
      pendingStore: new IndexedDbPendingStore(dbName),
    })
    await after.start()
    expect(after.getSnapshot().pendingCount).toBe(2)
    const saved = await waitForSnapshot(after, isSavedOnline, 'the resends acked')
    const state = await serverState(server, alice, canvasId)
    expect(state.seq).toBe(2)
    expect(saved.seq).toBe(2)
    expect(comparable(saved.objects.values())).toEqual(comparable(state.objects))
    const events = atBob.filter((m) => m.type.startsWith('object-'))
    expect(events.map((m) => m.type)).toEqual(['object-created', 'object-updated'])
    await expect.poll(() => new IndexedDbPendingStore(dbName).load(canvasId)).toEqual([])
  })

  it('[SYNC24] when the store holds edits another user queued in this browser, then they are neither shown nor sent', async () => {
    const { server, alice, canvasId } = await behindProxy()
    const pendingStore = new MemoryPendingStore()
    const foreign: PendingOp = {
      opId: 'someone-elses-op',
      op: { kind: 'create', object: { id: 'theirs', type: 'rect' } },
      at: 0,
      order: 1,
      userId: 'someone-else',
    }
    await pendingStore.put(canvasId, foreign)
    const engine = newEngine({ wsBaseUrl: wsBaseOf(server), canvasId, user: alice, pendingStore })
    await engine.start()
    const online = await waitForSnapshot(engine, isOnline, 'online')
    expect(online).toMatchObject({ saved: true, pendingCount: 0, seq: 0 })
    expect(online.objects.size).toBe(0)
    expect(await pendingStore.load(canvasId)).toEqual([foreign])
  })

  it('[SYNC20] when store writes finish out of order, then nothing is sent before its write, and ops go out in order', async () => {
    const { alice, canvasId, server } = await behindProxy()
    const writes = new Map<string, () => void>()
    const store: PendingStore = {
      load: async () => [],
      put: (_canvasId, op) => new Promise<void>((resolve) => writes.set(op.opId, resolve)),
      remove: async () => {},
    }
    const sent: string[] = []
    class RecordingWebSocket extends WebSocket {
      override send(data: string): void {
        const message = JSON.parse(data) as { type: string; opId?: string }
        if (message.opId !== undefined) sent.push(message.opId)
        super.send(data)
      }
    }
    const engine = newEngine({
      wsBaseUrl: wsBaseOf(server),
      canvasId,
      user: alice,
      pendingStore: store,
      WebSocketImpl: RecordingWebSocket,
    })
    await engine.start()
    await waitForSnapshot(engine, isOnline, 'online')
    engine.create({ id: 'r1', type: 'rect' })
    engine.create({ id: 'r2', type: 'rect' })
    const [first, second] = [...writes.keys()]
    writes.get(second as string)?.()
    await new Promise((resolve) => setImmediate(resolve))
    expect(sent).toEqual([])
    writes.get(first as string)?.()
    await waitForSnapshot(engine, (s) => s.saved, 'both acked')
    expect(sent).toEqual([first, second])
  })
})

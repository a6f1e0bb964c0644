import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Op } from '../../../src/core/room/logEntry.js'
import { Outbox } from '../../../src/web/sync/outbox.js'
import type { PendingOp } from '../../../src/web/sync/pendingOp.js'
import { MemoryPendingStore, type PendingStore } from '../../../src/web/sync/pendingStore.js'

// The outbox alone: a real MemoryPendingStore (or one whose writes finish when the test says),
// a pending list as the ClientState would hold it, and the frames it hands to `send`.

const CANVAS = 'c1'
const create = (id: string): Op => ({ kind: 'create', object: { id, type: 'rect' } })

afterEach(() => {
  vi.useRealTimers()
})

function newOutbox(store: PendingStore = new MemoryPendingStore()) {
  const pending: PendingOp[] = []
  const frames: { type: string; opId?: string }[] = []
  const errors: string[] = []
  let online = true
  const outbox = new Outbox({
    canvasId: CANVAS,
    store,
    pending: () => pending,
    send: (message) => {
      if (!online) return false
      frames.push(message as { type: string; opId?: string })
      return true
    },
    now: () => Date.now(),
    random: () => 0,
    reconnect: { initialMs: 200, maxMs: 1_000 },
    onError: (_code, message) => errors.push(message),
    onChange: () => {},
  })
  /** What the engine does for a local edit. */
  const edit = (op: Op, userId: string | undefined = 'me') => {
    const p = outbox.create(op, userId)
    pending.push(p)
    outbox.persist(p)
    return p
  }
  const sentIds = () => frames.map((f) => f.opId)
  const setOnline = (value: boolean) => (online = value)
  return { outbox, store, pending, frames, errors, edit, sentIds, setOnline }
}

/** Lets the store's promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('Outbox', () => {
  it('[SYNC20] when store writes finish out of order, then nothing is sent before its write and ops go out in the order made', async () => {
    const writes = new Map<string, () => void>()
    const store: PendingStore = {
      load: async () => [],
      put: (_canvasId, op) => new Promise<void>((resolve) => writes.set(op.opId, resolve)),
      remove: async () => {},
    }
    const { edit, sentIds } = newOutbox(store)
    const first = edit(create('r1'))
    const second = edit(create('r2'))
    expect(second.order).toBeGreaterThan(first.order)
    writes.get(second.opId)?.()
    await settle()
    expect(sentIds()).toEqual([])
    writes.get(first.opId)?.()
    await settle()
    expect(sentIds()).toEqual([first.opId, second.opId])
  })

  it('[SYNC20] [SYNC21] when the socket is lost, then every pending op is sent again in order on the next one, once', async () => {
    const { outbox, edit, sentIds, setOnline, store, pending } = newOutbox()
    setOnline(false)
    const ops = [edit(create('r1')), edit(create('r2')), edit(create('r3'))]
    await settle()
    expect(sentIds()).toEqual([])
    expect((await store.load(CANVAS)).map((p) => p.opId)).toEqual(ops.map((p) => p.opId))
    setOnline(true)
    outbox.pump()
    outbox.pump()
    expect(sentIds()).toEqual(ops.map((p) => p.opId))
    expect(outbox.wasSent(ops[0]!.opId)).toBe(true)

    outbox.socketLost()
    expect(outbox.wasSent(ops[0]!.opId)).toBe(false)
    // The first was acked meanwhile: it leaves the list and the store.
    pending.shift()
    outbox.forget(ops[0]!.opId)
    outbox.pump()
    expect(sentIds()).toEqual([...ops.map((p) => p.opId), ops[1]!.opId, ops[2]!.opId])
    await settle()
    expect((await store.load(CANVAS)).map((p) => p.opId)).toEqual([ops[1]!.opId, ops[2]!.opId])
  })

  it('[SYNC7] when an op is refused with "not now", then nothing is sent until the backoff ends, and then it goes again first', async () => {
    const { outbox, edit, sentIds } = newOutbox()
    const a = edit(create('r1'))
    await settle()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    outbox.retryLater(a.opId)
    const b = edit(create('r2'))
    await settle() // b is stored, and held back
    outbox.pump()
    expect(sentIds()).toEqual([a.opId])
    vi.advanceTimersByTime(100) // attempt 0: half of 200 ms
    expect(sentIds()).toEqual([a.opId, a.opId, b.opId])
  })

  it('[SYNC24] when stored ops are adopted, then another user’s stay out; a welcome stamps and stores the ones made before the user was known', async () => {
    const store = new MemoryPendingStore()
    const theirs: PendingOp = { opId: 'theirs', op: create('t'), at: 0, order: 5, userId: 'other' }
    const anonymous: PendingOp = { opId: 'anon', op: create('a'), at: 0, order: 9 }
    const mine: PendingOp = { opId: 'mine', op: create('m'), at: 0, order: 7, userId: 'me' }
    const { outbox, pending } = newOutbox(store)
    expect(outbox.adopt([theirs, mine, anonymous], 'me').map((p) => p.opId)).toEqual(['mine', 'anon'])
    expect(outbox.adopt([theirs, mine], undefined).map((p) => p.opId)).toEqual(['theirs', 'mine'])
    // Orders continue after the highest adopted one.
    expect(outbox.create(create('n'), 'me').order).toBeGreaterThan(9)

    pending.push(theirs, anonymous)
    const kept = outbox.claim(pending, 'me')
    expect(kept.map((p) => [p.opId, p.userId])).toEqual([['anon', 'me']])
    await settle()
    expect(await store.load(CANVAS)).toEqual([{ ...anonymous, userId: 'me' }])
  })

  it('[SYNC20] when the store fails, then the edit is sent anyway and the failure is reported', async () => {
    const store: PendingStore = {
      load: async () => [],
      put: async () => {
        throw new Error('quota exceeded')
      },
      remove: async () => {},
    }
    const { edit, sentIds, errors } = newOutbox(store)
    const op = edit(create('r1'))
    await settle()
    expect(sentIds()).toEqual([op.opId])
    expect(errors).toEqual(['could not store an edit: quota exceeded'])
  })
})

import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/room/logEntry.js'
import type { AuthSuccessMessage, RoomEvent } from '../../../src/protocol/messages.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import {
  addPending,
  applyAck,
  applyAuthSuccess,
  applyServerEvent,
  dropPending,
  emptyClientState,
  optimisticView,
  type ClientState,
} from '../../../src/web/sync/clientState.js'
import type { PendingOp } from '../../../src/web/sync/pendingOp.js'

const ME = 'me'
const OTHER = 'other'
const AT = '2026-01-01T00:00:00.000Z'

let order = 0
function pending(opId: string, op: Op): PendingOp {
  order += 1
  return { opId, op, at: Date.UTC(2026, 0, 2), order, userId: ME }
}

const rect = (id: string, x = 0, createdBy = OTHER): CanvasObject => ({
  id,
  type: 'rect',
  x,
  y: 0,
  createdBy,
  updatedAt: AT,
  version: 1,
})

const created = (seq: number, object: CanvasObject, userId = OTHER): RoomEvent => ({
  type: 'object-created',
  object,
  userId,
  seq,
})
const updated = (seq: number, id: string, changes: Record<string, unknown>, userId = OTHER): RoomEvent => ({
  type: 'object-updated',
  id,
  changes,
  userId,
  seq,
})
const deleted = (seq: number, id: string, userId = OTHER): RoomEvent => ({
  type: 'object-deleted',
  id,
  userId,
  seq,
})

function welcome(seq: number, objects: CanvasObject[], resumed?: true): AuthSuccessMessage {
  return {
    type: 'auth-success',
    userId: ME,
    username: 'me',
    color: '#000',
    role: 'editor',
    seq,
    objects,
    users: [],
    ...(resumed ? { resumed } : {}),
  }
}

/** A state at `seq` holding `objects`, as a welcome leaves it. */
function stateWith(seq: number, objects: CanvasObject[]): ClientState {
  const state = emptyClientState(ME)
  applyAuthSuccess(state, welcome(seq, objects))
  return state
}

const xOf = (objects: ReadonlyMap<string, CanvasObject>, id: string) => objects.get(id)?.x

describe('clientState: optimistic view', () => {
  it('[SYNC1] when local ops are pending, then the view shows them and the confirmed objects do not', () => {
    const state = stateWith(1, [rect('a', 1)])
    addPending(state, pending('o1', { kind: 'create', object: { id: 'b', type: 'ellipse', x: 5 } }))
    addPending(state, pending('o2', { kind: 'update', id: 'a', changes: { x: 9, fill: '#fff' } }))
    addPending(state, pending('o3', { kind: 'delete', id: 'b' }))
    addPending(state, pending('o4', { kind: 'create', object: { id: 'c', type: 'text', text: 'hi' } }))
    const view = optimisticView(state)
    expect([...view.keys()].sort()).toEqual(['a', 'c'])
    expect(view.get('a')).toMatchObject({ x: 9, fill: '#fff', version: 2, createdBy: OTHER })
    expect(view.get('c')).toMatchObject({ type: 'text', text: 'hi', createdBy: ME, version: 1 })
    expect(state.objects.get('a')).toEqual(rect('a', 1))
    expect(state.objects.has('c')).toBe(false)
  })

  it.each([
    ['a create of an id that exists', { kind: 'create', object: { id: 'a', type: 'ellipse', x: 7 } }],
    ['an update of a missing id', { kind: 'update', id: 'zz', changes: { x: 7 } }],
    ['a delete of a missing id', { kind: 'delete', id: 'zz' }],
  ] satisfies [string, Op][])(
    '[SYNC1] when the pending op is %s, then the view is the confirmed state',
    (_, op) => {
      const state = stateWith(1, [rect('a', 1)])
      addPending(state, pending('o1', op))
      expect(optimisticView(state)).toEqual(state.objects)
    },
  )
})

describe('clientState: acks', () => {
  it('[SYNC2] when an op is acked at the next seq, then it leaves pending and is confirmed at that seq', () => {
    const state = stateWith(4, [rect('a', 1)])
    const op = pending('o1', { kind: 'update', id: 'a', changes: { x: 2 } })
    addPending(state, op)
    expect(applyAck(state, 'o1', 5)).toBe(op)
    expect(state.pending).toEqual([])
    expect(state.seq).toBe(5)
    expect(state.objects.get('a')).toMatchObject({ x: 2, version: 2 })
    expect(optimisticView(state)).toEqual(state.objects)
  })

  it('[SYNC2] when an ack names an opId that is not pending, then nothing changes', () => {
    const state = stateWith(4, [rect('a', 1)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 2 } }))
    expect(applyAck(state, 'nope', 5)).toBeUndefined()
    expect(state.pending).toHaveLength(1)
    expect(state.seq).toBe(4)
  })

  it('[SYNC2] when a resent op is acked at a seq the state already holds, then it only leaves pending', () => {
    // The whole canvas at seq 9 already includes our op, committed at 7 before the reconnect.
    const state = stateWith(9, [rect('a', 2)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 2 } }))
    applyAck(state, 'o1', 7)
    expect(state.pending).toEqual([])
    expect(state.seq).toBe(9)
    expect(state.objects.get('a')).toEqual(rect('a', 2))
  })

  it('[SYNC4] when an ack overtakes an event of a lower seq, then the op waits for it and the later seq wins', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyAck(state, 'o1', 3)
    expect(state.seq).toBe(1)
    expect(state.acked.map((a) => a.seq)).toEqual([3])
    expect(xOf(optimisticView(state), 'a')).toBe(1)
    applyServerEvent(state, updated(2, 'a', { x: 5, fill: '#f00' }), AT)
    expect(state.seq).toBe(3)
    expect(state.acked).toEqual([])
    expect(state.objects.get('a')).toMatchObject({ x: 1, fill: '#f00', version: 3 })
  })

  it('[SYNC4] when a later event arrives and the seq before our acked op never does, then the op goes first', () => {
    // Seq 2 was a no-op entry (decided on another instance): no event is ever sent for it.
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyAck(state, 'o1', 3)
    applyServerEvent(state, updated(4, 'a', { x: 5 }), AT)
    expect(state.seq).toBe(4)
    expect(state.objects.get('a')).toMatchObject({ x: 5, version: 3 })
  })

  it('[SYNC4] when a resume sends our acked op back as an event, then the event replaces it', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyAck(state, 'o1', 3)
    applyServerEvent(state, updated(2, 'a', { y: 4 }), AT)
    expect(state.seq).toBe(3)
    applyServerEvent(state, updated(3, 'a', { x: 1 }, ME), AT)
    expect(state.objects.get('a')).toMatchObject({ x: 1, y: 4, version: 3 })
  })
})

describe('clientState: server events', () => {
  const table: { name: string; events: RoomEvent[]; expected: Record<string, number | undefined> }[] = [
    {
      name: 'create then update',
      events: [created(2, rect('b', 1)), updated(3, 'b', { x: 2 })],
      expected: { a: 0, b: 2 },
    },
    {
      name: 'update after delete',
      events: [deleted(2, 'a'), updated(3, 'a', { x: 9 })],
      expected: { a: undefined },
    },
    { name: 'create of an existing id', events: [created(2, rect('a', 7))], expected: { a: 0 } },
    { name: 'delete of a missing id', events: [deleted(2, 'zz')], expected: { a: 0 } },
    {
      name: 'delete then create again',
      events: [deleted(2, 'a'), created(3, rect('a', 5))],
      expected: { a: 5 },
    },
    {
      name: 'a replayed seq',
      events: [updated(2, 'a', { x: 3 }), updated(2, 'a', { x: 4 })],
      expected: { a: 3 },
    },
    { name: 'an old seq', events: [updated(1, 'a', { x: 3 })], expected: { a: 0 } },
  ]
  it.each(table)('[SYNC3] when the events are: $name, then the room rules hold', ({ events, expected }) => {
    const state = stateWith(1, [rect('a', 0)])
    for (const event of events) applyServerEvent(state, event, AT)
    for (const [id, x] of Object.entries(expected)) expect(xOf(state.objects, id)).toBe(x)
    expect(state.seq).toBe(Math.max(1, ...events.map((e) => e.seq)))
  })

  it('[SYNC3] when an update arrives, then id, type and createdBy stay and version grows', () => {
    const state = stateWith(1, [rect('a', 0)])
    applyServerEvent(state, updated(2, 'a', { id: 'b', type: 'text', createdBy: 'x', x: 1 }), AT)
    expect(state.objects.get('a')).toMatchObject({
      id: 'a',
      type: 'rect',
      createdBy: OTHER,
      x: 1,
      version: 2,
    })
  })

  it('[SYNC3] when an object is changed, then objects handed out before keep their values', () => {
    const state = stateWith(1, [rect('a', 0)])
    const before = state.objects.get('a')
    applyServerEvent(state, updated(2, 'a', { x: 1 }), AT)
    expect(before).toEqual(rect('a', 0))
  })
})

describe('clientState: rebase', () => {
  it('[SYNC5] when a remote update of a property we changed arrives first, then ours shows and, acked later, holds', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyServerEvent(state, updated(2, 'a', { x: 5, y: 6 }), AT)
    expect(optimisticView(state).get('a')).toMatchObject({ x: 1, y: 6 })
    applyAck(state, 'o1', 3)
    expect(state.objects.get('a')).toMatchObject({ x: 1, y: 6 })
  })

  it('[SYNC5] when our update was committed before a remote one, then the remote value wins once acked', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyAck(state, 'o1', 2)
    applyServerEvent(state, updated(3, 'a', { x: 5 }), AT)
    expect(xOf(optimisticView(state), 'a')).toBe(5)
  })

  it('[SYNC5] when the object of our pending update is deleted remotely, then the view hides it', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyServerEvent(state, deleted(2, 'a'), AT)
    expect(optimisticView(state).has('a')).toBe(false)
  })

  it('[SYNC5] when we delete an object someone updates meanwhile, then it stays deleted', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'delete', id: 'a' }))
    applyServerEvent(state, updated(2, 'a', { x: 5 }), AT)
    expect(optimisticView(state).has('a')).toBe(false)
    applyAck(state, 'o1', 3)
    expect(state.objects.has('a')).toBe(false)
  })

  it('[SYNC7] when a pending op is refused, then it leaves pending and the view is the server state', () => {
    const state = stateWith(1, [rect('a', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyServerEvent(state, updated(2, 'a', { x: 5 }), AT)
    expect(dropPending(state, 'o1')?.opId).toBe('o1')
    expect(dropPending(state, 'o1')).toBeUndefined()
    expect(optimisticView(state)).toEqual(state.objects)
    expect(xOf(state.objects, 'a')).toBe(5)
  })
})

describe('clientState: welcome', () => {
  it('[SYNC22] when auth-success is not resumed, then its objects replace ours and pending ops stay', () => {
    const state = stateWith(3, [rect('a', 0), rect('b', 0)])
    addPending(state, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    expect(applyAuthSuccess(state, welcome(8, [rect('a', 4), rect('c', 1)]))).toBe(true)
    expect(state.seq).toBe(8)
    expect([...state.objects.keys()].sort()).toEqual(['a', 'c'])
    expect(xOf(optimisticView(state), 'a')).toBe(1)
  })

  it('[SYNC22] when auth-success is resumed after the missed events, then the state is kept', () => {
    const state = stateWith(3, [rect('a', 0)])
    applyServerEvent(state, updated(4, 'a', { x: 2 }), AT)
    applyServerEvent(state, created(5, rect('b', 1)), AT)
    expect(applyAuthSuccess(state, welcome(5, [], true))).toBe(true)
    expect(state.seq).toBe(5)
    expect([...state.objects.keys()].sort()).toEqual(['a', 'b'])
    expect(xOf(state.objects, 'a')).toBe(2)
  })

  it('[SYNC22] when a resumed auth-success is ahead of the events we have, then it reports the hole', () => {
    const state = stateWith(3, [rect('a', 0)])
    applyServerEvent(state, updated(4, 'a', { x: 2 }), AT)
    expect(applyAuthSuccess(state, welcome(6, [], true))).toBe(false)
  })

  it('[SYNC4] when acked ops wait at the welcome, then a resumed one places them and a full one drops them', () => {
    const resumed = stateWith(1, [rect('a', 0)])
    addPending(resumed, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyAck(resumed, 'o1', 3)
    applyServerEvent(resumed, updated(2, 'a', { y: 1 }), AT)
    expect(applyAuthSuccess(resumed, welcome(3, [], true))).toBe(true)
    expect(resumed.objects.get('a')).toMatchObject({ x: 1, y: 1 })

    const full = stateWith(1, [rect('a', 0)])
    addPending(full, pending('o1', { kind: 'update', id: 'a', changes: { x: 1 } }))
    applyAck(full, 'o1', 3)
    applyAuthSuccess(full, welcome(9, [rect('a', 7)]))
    expect(full.acked).toEqual([])
    expect(xOf(optimisticView(full), 'a')).toBe(7)
  })
})

import { describe, expect, it } from 'vitest'
import { applyEntry } from '../../../src/core/room/applyEntry.js'
import { entryEvent } from '../../../src/core/room/entryEvent.js'
import type { LogEntry, Op } from '../../../src/core/room/logEntry.js'
import { emptyRoom, recentOpKey, stateHash, type RoomState } from '../../../src/core/room/roomState.js'
import { CANVAS, T0, entry, owner } from './roomFixtures.js'

const iso = (seq: number) => new Date(T0 + seq * 1000).toISOString()
const create = (id: string, props: Record<string, unknown> = {}): Op => ({
  kind: 'create',
  object: { id, type: 'rect', ...props },
})
const update = (id: string, changes: Record<string, unknown>): Op => ({ kind: 'update', id, changes })
const del = (id: string): Op => ({ kind: 'delete', id })

/** Applies ops as entries 1, 2, 3… and returns the state and every event. */
function run(ops: Op[], state: RoomState = emptyRoom()) {
  const events = []
  for (const [i, op] of ops.entries())
    events.push(...applyEntry(state, entry(state.seq + 1, op, i % 2 ? owner.userId : 'u-editor')).events)
  return { state, events }
}

describe('applyEntry: creates and updates', () => {
  it('[ROOM10] when a create applies, then the object gets createdBy, updatedAt from entry.at and version 1', () => {
    const { state } = run([create('r1', { x: 1, fill: 'red' })])
    expect(state.objects.get('r1')).toEqual({
      id: 'r1',
      type: 'rect',
      x: 1,
      fill: 'red',
      createdBy: 'u-editor',
      updatedAt: iso(1),
      version: 1,
    })
    expect(state.seq).toBe(1)
  })

  it('[ROOM10] when updates apply, then each property takes the last value in log order and version counts them', () => {
    const { state } = run([
      create('r1', { x: 1, y: 1, fill: 'red' }),
      update('r1', { x: 2, fill: 'blue' }),
      update('r1', { y: 3 }),
      update('r1', { x: 4, parentId: null }),
    ])
    expect(state.objects.get('r1')).toEqual({
      id: 'r1',
      type: 'rect',
      x: 4,
      y: 3,
      fill: 'blue',
      parentId: null,
      createdBy: 'u-editor',
      updatedAt: iso(4),
      version: 4,
    })
  })

  it('[ROOM10] when a (corrupt) update carries id, type or server fields, then they do not change', () => {
    const corrupt = { x: 9, id: 'other', type: 'text', createdBy: 'mallory', version: 100, updatedAt: 'x' }
    const { state } = run([create('r1'), update('r1', corrupt)])
    const object = state.objects.get('r1')
    expect(object).toMatchObject({
      id: 'r1',
      type: 'rect',
      x: 9,
      createdBy: 'u-editor',
      version: 2,
      updatedAt: iso(2),
    })
    expect(state.objects.has('other')).toBe(false)
  })

  it('[ROOM10] when a (corrupt) create carries server fields, then the entry sets them', () => {
    const op = {
      kind: 'create',
      object: { id: 'r1', type: 'rect', createdBy: 'mallory', version: 50 },
    } as unknown as Op
    const { state } = run([op])
    expect(state.objects.get('r1')).toMatchObject({ createdBy: 'u-editor', version: 1, updatedAt: iso(1) })
  })
})

describe('applyEntry: state ownership', () => {
  it('[ROOM2] when an entry applies, then the same state object is returned, updated in place', () => {
    const state = emptyRoom()
    const result = applyEntry(state, entry(1, create('r1')))
    expect(result.state).toBe(state)
    expect(state.objects.size).toBe(1)
  })

  it('[ROOM3] when an object is updated, then objects handed out before keep their values', () => {
    const state = emptyRoom()
    const created = applyEntry(state, entry(1, create('r1', { x: 1 }))).events[0]
    const before = state.objects.get('r1')
    const snapshot = structuredClone(before)
    applyEntry(state, entry(2, update('r1', { x: 2 })))
    expect(before).toEqual(snapshot)
    expect(created).toMatchObject({ object: { x: 1, version: 1 } })
    expect(state.objects.get('r1')).toMatchObject({ x: 2, version: 2 })
  })
})

describe('applyEntry: events', () => {
  it('[ROOM15] when create, update and delete apply, then exactly the contract messages are emitted', () => {
    const { events, state } = run([create('r1', { x: 1 }), update('r1', { x: 2 }), del('r1')])
    expect(events).toEqual([
      {
        type: 'object-created',
        object: { id: 'r1', type: 'rect', x: 1, createdBy: 'u-editor', updatedAt: iso(1), version: 1 },
        userId: 'u-editor',
        seq: 1,
      },
      { type: 'object-updated', id: 'r1', changes: { x: 2 }, userId: owner.userId, seq: 2 },
      { type: 'object-deleted', id: 'r1', userId: 'u-editor', seq: 3 },
    ])
    expect(state.objects.size).toBe(0)
  })

  it('[ROOM15] when an entry applies, then entryEvent of that entry is the event emitted', () => {
    const entries: LogEntry[] = [
      entry(1, create('r1', { fill: 'red', points: [0, 0, 1, 1] })),
      entry(2, update('r1', { fill: 'blue' })),
      entry(3, del('r1')),
    ]
    const state = emptyRoom()
    for (const e of entries) expect(applyEntry(state, e).events).toEqual([entryEvent(e)])
  })
})

describe('applyEntry: replays and stale decisions', () => {
  it('[ROOM13] when an entry at or below state.seq arrives, then nothing changes and nothing is sent', () => {
    const { state } = run([create('r1'), update('r1', { x: 1 })])
    const hash = stateHash(state)
    const ops = [...state.recentOps]
    for (const replay of [
      entry(2, update('r1', { x: 99 }), 'u-x', 'late'),
      entry(1, del('r1'), 'u-x', 'late2'),
    ]) {
      expect(applyEntry(state, replay).events).toEqual([])
    }
    expect(stateHash(state)).toBe(hash)
    expect([...state.recentOps]).toEqual(ops)
  })

  const noops: [string, Op[], Op][] = [
    ['a create of an existing id', [create('r1', { x: 1 })], create('r1', { x: 2 })],
    ['an update after a delete', [create('r1'), del('r1')], update('r1', { x: 1 })],
    ['an update of an id never created', [], update('ghost', { x: 1 })],
    ['a delete of a missing id', [create('r1'), del('r1')], del('r1')],
  ]
  it.each(noops)(
    '[ROOM14] when %s applies, then seq advances, the opId is remembered, nothing is sent',
    (_, before, op) => {
      const { state } = run(before)
      const objects = structuredClone([...state.objects])
      const next = state.seq + 1
      const { events } = applyEntry(state, entry(next, op, 'u-late', 'late-op'))
      expect(events).toEqual([])
      expect(state.seq).toBe(next)
      expect([...state.objects]).toEqual(objects)
      expect(state.recentOps.get(recentOpKey('u-late', 'late-op'))).toBe(next)
    },
  )
})

describe('applyEntry: totality', () => {
  const times: [string, number, string][] = [
    ['NaN', Number.NaN, new Date(0).toISOString()],
    ['Infinity', Number.POSITIVE_INFINITY, new Date(0).toISOString()],
    ['beyond the Date range', 1e20, new Date(8.64e15).toISOString()],
    ['before the Date range', -1e20, new Date(-8.64e15).toISOString()],
  ]
  it.each(times)(
    '[ROOM12] when entry.at is %s, then apply clamps it and does not throw',
    (_, at, expected) => {
      const state = emptyRoom()
      applyEntry(state, { canvasId: CANVAS, seq: 1, at, userId: 'u', opId: 'o', op: create('r1') })
      expect(state.objects.get('r1')?.updatedAt).toBe(expected)
    },
  )

  it('[ROOM12] when an op kind is unknown (a newer writer), then it is skipped and seq advances', () => {
    const state = emptyRoom()
    const op = { kind: 'move', id: 'r1' } as unknown as Op
    expect(applyEntry(state, entry(1, op)).events).toEqual([])
    expect(state.seq).toBe(1)
  })

  it('[ROOM12] when seq is not a number (NaN), then the entry is ignored', () => {
    const state = emptyRoom()
    expect(applyEntry(state, entry(Number.NaN, create('r1'))).events).toEqual([])
    expect(state.seq).toBe(0)
  })
})

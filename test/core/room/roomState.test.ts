import { describe, expect, it } from 'vitest'
import { applyEntry } from '../../../src/core/room/applyEntry.js'
import type { LogEntry } from '../../../src/core/room/logEntry.js'
import {
  RECENT_OPS_LIMIT,
  emptyRoom,
  objectsOf,
  recentOpKey,
  rememberOps,
  roomFromSnapshot,
  stateHash,
} from '../../../src/core/room/roomState.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { entry } from './roomFixtures.js'

const object = (id: string, extra: Partial<CanvasObject> = {}): CanvasObject => ({
  id,
  type: 'rect',
  createdBy: 'u1',
  updatedAt: '2026-11-28T12:00:00.000Z',
  version: 1,
  ...extra,
})

describe('dedup window', () => {
  it('[ROOM20] when more than RECENT_OPS_LIMIT entries apply, then the oldest opIds are forgotten first', () => {
    const state = emptyRoom()
    const total = RECENT_OPS_LIMIT + 5
    for (let seq = 1; seq <= total; seq++)
      applyEntry(state, entry(seq, { kind: 'delete', id: 'none' }, 'u1', `o${seq}`))
    expect(state.recentOps.size).toBe(RECENT_OPS_LIMIT)
    expect(state.recentOps.has(recentOpKey('u1', 'o5'))).toBe(false)
    expect(state.recentOps.get(recentOpKey('u1', 'o6'))).toBe(6)
    expect(state.recentOps.get(recentOpKey('u1', `o${total}`))).toBe(total)
  })

  it('[ROOM20] when one opId reaches the log twice, then the first seq is kept', () => {
    const state = emptyRoom()
    applyEntry(state, entry(1, { kind: 'delete', id: 'x' }, 'u1', 'twice'))
    applyEntry(state, entry(2, { kind: 'delete', id: 'x' }, 'u1', 'twice'))
    expect(state.recentOps.get(recentOpKey('u1', 'twice'))).toBe(1)
  })

  it('[ROOM20] when users share an opId, then the window keeps both', () => {
    const state = emptyRoom()
    applyEntry(state, entry(1, { kind: 'delete', id: 'x' }, 'u1', 'o'))
    applyEntry(state, entry(2, { kind: 'delete', id: 'x' }, 'u2', 'o'))
    expect(state.recentOps.get(recentOpKey('u1', 'o'))).toBe(1)
    expect(state.recentOps.get(recentOpKey('u2', 'o'))).toBe(2)
  })
})

describe('snapshots', () => {
  const log: LogEntry[] = [
    entry(1, { kind: 'create', object: { id: 'a', type: 'rect', x: 1 } }, 'u1', 'c-a'),
    entry(2, { kind: 'create', object: { id: 'b', type: 'text', text: 'hi' } }, 'u2', 'c-b'),
    entry(3, { kind: 'update', id: 'a', changes: { x: 2 } }, 'u1', 'u-a'),
    entry(4, { kind: 'delete', id: 'b' }, 'u2', 'd-b'),
    entry(5, { kind: 'update', id: 'a', changes: { fill: 'red' } }, 'u2', 'u-a2'),
  ]

  it('[ROOM21] when a room loads from a snapshot, the log tail and the rest, then it equals the full replay', () => {
    const full = emptyRoom()
    for (const e of log) applyEntry(full, e)
    const atThree = emptyRoom()
    for (const e of log.slice(0, 3)) applyEntry(atThree, e)

    const loaded = roomFromSnapshot(
      atThree.seq,
      JSON.parse(JSON.stringify(objectsOf(atThree))) as CanvasObject[],
    )
    rememberOps(loaded, log)
    expect(loaded.seq).toBe(3)
    expect([...loaded.recentOps.values()]).toEqual([1, 2, 3])
    for (const e of log) applyEntry(loaded, e)

    expect(stateHash(loaded)).toBe(stateHash(full))
    expect([...loaded.recentOps]).toEqual([...full.recentOps])
    expect(objectsOf(loaded)).toEqual(objectsOf(full))
  })

  it('[ROOM21] when a snapshot is loaded, then the dedup window is empty until rememberOps', () => {
    const loaded = roomFromSnapshot(7, [object('a')])
    expect(loaded.seq).toBe(7)
    expect(loaded.recentOps.size).toBe(0)
    expect(rememberOps(loaded, [])).toBe(loaded)
  })
})

describe('listing and hashing', () => {
  it('[ROOM22] when objects are listed, then they come by zIndex (absent = 0), then id', () => {
    const state = roomFromSnapshot(1, [
      object('m', { zIndex: 2 }),
      object('b'),
      object('z', { zIndex: -1 }),
      object('a', { zIndex: 0 }),
      object('c', { zIndex: 2 }),
    ])
    expect(objectsOf(state).map((o) => o.id)).toEqual(['z', 'a', 'b', 'c', 'm'])
  })

  it('[ROOM23] when maps are filled in another order and keys sit in another order, then the hash is the same', () => {
    const one = roomFromSnapshot(4, [object('a', { x: 1, y: 2 }), object('b')])
    const two = roomFromSnapshot(4, [object('b'), { y: 2, x: 1, ...object('a') }])
    two.recentOps.set('u\u0000o', 3)
    expect(stateHash(two)).toBe(stateHash(one))
  })

  it('[ROOM23] when seq or any value differs, then the hash differs', () => {
    const base = stateHash(roomFromSnapshot(4, [object('a', { x: 1 })]))
    expect(stateHash(roomFromSnapshot(5, [object('a', { x: 1 })]))).not.toBe(base)
    expect(stateHash(roomFromSnapshot(4, [object('a', { x: 2 })]))).not.toBe(base)
    expect(stateHash(roomFromSnapshot(4, [object('a', { x: 1, version: 2 })]))).not.toBe(base)
    expect(stateHash(roomFromSnapshot(4, [object('a', { x: 1 }), object('b')]))).not.toBe(base)
    expect(stateHash(emptyRoom())).not.toBe(base)
  })
})

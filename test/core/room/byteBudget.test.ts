import { describe, expect, it } from 'vitest'
import { applyEntry } from '../../../src/core/room/applyEntry.js'
import { decideBatch } from '../../../src/core/room/decideOp.js'
import { roomFromSnapshot, emptyRoom, encodedSize, type RoomState } from '../../../src/core/room/roomState.js'
import { Uncommitted } from '../../../src/core/room/uncommitted.js'
import type { ClientOpMessage } from '../../../src/protocol/messages.js'
import { OBJECT_LIMITS, type CanvasObject } from '../../../src/protocol/objects.js'
import { T0, createMsg, deleteMsg, editor, entry, requestItems, updateMsg } from './roomFixtures.js'

const BUDGET = OBJECT_LIMITS.canvasBytes
/** A text object of about `bytes` when encoded. */
const heavy = (id: string, bytes: number): CanvasObject => ({
  id,
  type: 'text',
  text: 'x'.repeat(bytes),
  createdBy: editor.userId,
  updatedAt: new Date(T0).toISOString(),
  version: 1,
})

const kinds = (state: RoomState, messages: readonly ClientOpMessage[], u?: Uncommitted) =>
  decideBatch(state, requestItems(messages.map((message) => ({ member: editor, message }))), u).map((d) =>
    d.kind === 'reject' ? `reject:${d.code}` : d.kind,
  )

/** A canvas `missing` bytes short of its budget, in objects under 10 KB of text each. */
function nearlyFull(missing: number): RoomState {
  const objects: CanvasObject[] = []
  let total = 0
  for (let i = 0; total < BUDGET - missing - 10_200; i++) {
    const object = heavy(`o${i}`, 9_000)
    objects.push(object)
    total += encodedSize(object)
  }
  const last = heavy('last', 0)
  last.text = 'x'.repeat(Math.max(0, BUDGET - missing - total - encodedSize(last)))
  objects.push(last)
  return roomFromSnapshot(1, objects)
}

describe('[ROOM26] the byte budget of a canvas', () => {
  it('[ROOM26] when objects are created, updated and deleted, then the state weighs the sum of its objects', () => {
    const state = emptyRoom()
    applyEntry(state, entry(1, { kind: 'create', object: { id: 'a', type: 'text', text: 'hello' } }))
    applyEntry(state, entry(2, { kind: 'create', object: { id: 'b', type: 'rect', x: 1 } }))
    const afterCreates = [...state.objects.values()].reduce((n, o) => n + encodedSize(o), 0)
    expect(state.bytes).toBe(afterCreates)
    applyEntry(state, entry(3, { kind: 'update', id: 'a', changes: { text: 'x'.repeat(1000) } }))
    expect(state.bytes).toBeGreaterThan(afterCreates + 990)
    applyEntry(state, entry(4, { kind: 'delete', id: 'a' }))
    applyEntry(state, entry(5, { kind: 'delete', id: 'b' }))
    expect(state.bytes).toBe(0)
    expect(state.sizes.size).toBe(0)
  })

  it('[ROOM26] when a create would pass the budget, then it is limit_exceeded and one that fits is appended', () => {
    const state = nearlyFull(5_000)
    expect(kinds(state, [createMsg('small', { id: 's', type: 'text', text: 'fits' })])).toEqual(['append'])
    expect(kinds(state, [createMsg('big', { id: 'b', type: 'text', text: 'x'.repeat(9_000) })])).toEqual([
      'reject:limit_exceeded',
    ])
  })

  it('[ROOM26] when a batch or ops still in flight add up past the budget, then the later ones are refused', () => {
    const state = nearlyFull(12_000)
    const text = 'x'.repeat(5_000)
    expect(
      kinds(state, [
        createMsg('1', { id: 'n1', type: 'text', text }),
        createMsg('2', { id: 'n2', type: 'text', text }),
        createMsg('3', { id: 'n3', type: 'text', text }),
      ]),
    ).toEqual(['append', 'append', 'reject:limit_exceeded'])
    const inFlight = new Uncommitted()
    inFlight.hold(editor.userId, 'earlier', { kind: 'create', object: { id: 'e', type: 'rect' } }, 11_000)
    expect(kinds(state, [createMsg('4', { id: 'n4', type: 'text', text })], inFlight)).toEqual([
      'reject:limit_exceeded',
    ])
  })

  it('[ROOM26] when a canvas is already over its budget, then it can still shrink: deletes and smaller updates pass, growth does not', () => {
    const state = nearlyFull(-50_000)
    expect(state.bytes).toBeGreaterThan(BUDGET)
    expect(
      kinds(state, [
        deleteMsg('d', 'o0'),
        updateMsg('shrink', 'o1', { text: 'short' }),
        updateMsg('grow', 'o2', { text: 'x'.repeat(9_900) }),
        createMsg('c', { id: 'new', type: 'rect' }),
      ]),
    ).toEqual(['append', 'append', 'reject:limit_exceeded', 'reject:limit_exceeded'])
  })
})

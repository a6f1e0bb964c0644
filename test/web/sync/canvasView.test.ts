import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { CanvasView } from '../../../src/web/sync/canvasView.js'
import type { PendingOp } from '../../../src/web/sync/pendingOp.js'

// The optimistic view alone; clientState.test.ts covers the rules under it.

const AT = '2026-01-01T00:00:00.000Z'
const server = (id: string, x: number): CanvasObject => ({
  id,
  type: 'rect',
  x,
  createdBy: 'other',
  updatedAt: AT,
  version: 1,
})
let order = 0
const op = (opId: string, o: PendingOp['op']): PendingOp => ({ opId, op: o, at: 0, order: ++order })

function welcomed() {
  const view = new CanvasView('me')
  view.welcome({
    type: 'auth-success',
    userId: 'me',
    username: 'Me',
    color: '#111111',
    role: 'editor',
    seq: 3,
    objects: [server('r1', 0)],
    users: [],
  })
  return view
}

describe('CanvasView', () => {
  it('[SYNC1] [SYNC29] when a local edit is added, then it shows at once and `objects` is a new map; unchanged, it stays the same map', () => {
    const view = welcomed()
    const before = view.objects
    expect(view.objects).toBe(before)
    view.addLocal(op('a', { kind: 'update', id: 'r1', changes: { x: 5 } }))
    const after = view.objects
    expect(after).not.toBe(before)
    expect(after.get('r1')).toMatchObject({ x: 5, version: 2 })
    expect(before.get('r1')?.x).toBe(0) // a handed-out map never changes
    expect(view.pending.map((p) => p.opId)).toEqual(['a'])
  })

  it('[SYNC2] [SYNC7] when one op is acked and another refused, then the view keeps the first and follows the server for the second', () => {
    const view = welcomed()
    view.addLocal(op('a', { kind: 'create', object: { id: 'r2', type: 'ellipse' } }))
    view.addLocal(op('b', { kind: 'update', id: 'r1', changes: { x: 9 } }))
    expect(view.ack('a', 4)?.opId).toBe('a')
    expect(view.ack('a', 4)).toBeUndefined()
    expect(view.seq).toBe(4)
    expect(view.drop('b')?.opId).toBe('b')
    expect(view.has('b')).toBe(false)
    expect(view.objects.get('r1')?.x).toBe(0)
    expect(view.objects.get('r2')).toMatchObject({ type: 'ellipse', createdBy: 'me' })
    expect(view.pending).toEqual([])
  })

  it('[SYNC24] when stored ops are added after this session’s, then they go first', () => {
    const view = welcomed()
    view.addLocal(op('new', { kind: 'update', id: 'r1', changes: { x: 2 } }))
    view.addStored([op('old', { kind: 'update', id: 'r1', changes: { x: 1 } })])
    expect(view.pending.map((p) => p.opId)).toEqual(['old', 'new'])
    expect(view.objects.get('r1')?.x).toBe(2)
    view.keepPending(view.pending.filter((p) => p.opId === 'old'))
    expect(view.objects.get('r1')?.x).toBe(1)
  })

  it('[SYNC3] when a server event comes, then the confirmed state moves and the view is rebuilt over it', () => {
    const view = welcomed()
    view.addLocal(op('a', { kind: 'update', id: 'r1', changes: { fill: '#f00' } }))
    const before = view.objects
    view.event({ type: 'object-updated', id: 'r1', changes: { x: 7 }, userId: 'other', seq: 4 }, AT)
    expect(view.seq).toBe(4)
    expect(view.objects).not.toBe(before)
    expect(view.objects.get('r1')).toMatchObject({ x: 7, fill: '#f00' })
  })
})

import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/room/logEntry.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { applyOp } from '../../../src/web/sync/clientState.js'
import {
  addToStep,
  inverseOf,
  UndoHistory,
  undoRecordOf,
  type UndoEntry,
  type UndoRecord,
} from '../../../src/web/sync/undoHistory.js'

const AT = '2026-01-01T00:00:00.000Z'
const rect = (id: string, props: Partial<CanvasObject> = {}): CanvasObject => ({
  id,
  type: 'rect',
  x: 0,
  y: 0,
  fill: '#fff',
  createdBy: 'other',
  updatedAt: AT,
  version: 1,
  ...props,
})
const viewOf = (...objects: CanvasObject[]) => new Map(objects.map((o) => [o.id, o]))

/** Records `op` against `view`, applies it (as the user), and returns the record. */
function doOp(view: Map<string, CanvasObject>, op: Op, userId = 'me'): UndoRecord | undefined {
  const record = undoRecordOf(op, view)
  applyOp(view, op, { userId, at: AT })
  return record
}

describe('undo records and inverses', () => {
  it('[SYNC11] when a create is undone, then the object is deleted', () => {
    const view = viewOf()
    const record = doOp(view, { kind: 'create', object: { id: 'a', type: 'rect', x: 1 } })
    expect(record).toEqual({ kind: 'create', id: 'a' })
    expect(inverseOf(record as UndoRecord, view)).toEqual({ kind: 'delete', id: 'a' })
  })

  it('[SYNC11] when a delete is undone, then the object comes back with its last properties and id', () => {
    const view = viewOf(rect('a', { x: 5, points: [1, 2], zIndex: 3 }))
    const record = doOp(view, { kind: 'delete', id: 'a' }) as UndoRecord
    expect(inverseOf(record, view)).toEqual({
      kind: 'create',
      object: { id: 'a', type: 'rect', x: 5, y: 0, fill: '#fff', points: [1, 2], zIndex: 3 },
    })
  })

  it('[SYNC11] when an update is undone, then the previous values come back', () => {
    const view = viewOf(rect('a', { x: 5 }))
    const record = doOp(view, { kind: 'update', id: 'a', changes: { x: 9, fill: '#000' } }) as UndoRecord
    expect(inverseOf(record, view)).toEqual({ kind: 'update', id: 'a', changes: { x: 5, fill: '#fff' } })
  })

  it('[SYNC12] when someone else changed a property since, then undo keeps their value and restores the rest', () => {
    const view = viewOf(rect('a', { x: 5 }))
    const record = doOp(view, { kind: 'update', id: 'a', changes: { x: 9, fill: '#000' } }) as UndoRecord
    doOp(view, { kind: 'update', id: 'a', changes: { x: 50 } }, 'other')
    expect(inverseOf(record, view)).toEqual({ kind: 'update', id: 'a', changes: { fill: '#fff' } })
    doOp(view, { kind: 'update', id: 'a', changes: { fill: '#0f0' } }, 'other')
    expect(inverseOf(record, view)).toBeUndefined()
  })

  it('[SYNC11] when the update set a property that was unset, then there is nothing to restore', () => {
    const view = viewOf(rect('a', { x: 5 }))
    // An update cannot unset a property: the undo would have nothing to send.
    expect(doOp(view, { kind: 'update', id: 'a', changes: { points: [1, 2] } })).toBeUndefined()
  })

  it('[SYNC12] when a property still holds the value we set, then undo restores it, arrays compared by value', () => {
    const view = viewOf(rect('a', { points: [1, 2] }))
    const record = doOp(view, { kind: 'update', id: 'a', changes: { points: [3, 4] } }) as UndoRecord
    doOp(view, { kind: 'update', id: 'a', changes: { points: [3, 4] } }, 'other')
    expect(inverseOf(record, view)).toEqual({ kind: 'update', id: 'a', changes: { points: [1, 2] } })
  })

  it('[SYNC11] when parentId was unset, then undo of setting it sets null', () => {
    const view = viewOf(rect('a'), rect('g'))
    const record = doOp(view, { kind: 'update', id: 'a', changes: { parentId: 'g' } }) as UndoRecord
    expect(inverseOf(record, view)).toEqual({ kind: 'update', id: 'a', changes: { parentId: null } })
  })

  it.each([
    ['an update of an object deleted since', { kind: 'update', id: 'a', changes: { x: 9 } }, 'delete'],
    [
      'a create of an object deleted since',
      { kind: 'create', object: { id: 'b', type: 'rect' } },
      'delete b',
    ],
    ['a delete of an object created again since', { kind: 'delete', id: 'a' }, 'recreate'],
  ] satisfies [string, Op, string][])(
    '[SYNC12] when undoing %s, then there is nothing to do',
    (_, op, then) => {
      const view = viewOf(rect('a', { x: 5 }))
      const record = doOp(view, op) as UndoRecord
      if (then === 'delete') doOp(view, { kind: 'delete', id: 'a' }, 'other')
      if (then === 'delete b') doOp(view, { kind: 'delete', id: 'b' }, 'other')
      if (then === 'recreate') doOp(view, { kind: 'create', object: { id: 'a', type: 'rect' } }, 'other')
      expect(inverseOf(record, view)).toBeUndefined()
    },
  )

  it('[SYNC11] when an op changes nothing, then it leaves no record', () => {
    const view = viewOf(rect('a', { x: 5 }))
    expect(undoRecordOf({ kind: 'update', id: 'a', changes: { x: 5 } }, view)).toBeUndefined()
    expect(undoRecordOf({ kind: 'update', id: 'zz', changes: { x: 5 } }, view)).toBeUndefined()
    expect(undoRecordOf({ kind: 'delete', id: 'zz' }, view)).toBeUndefined()
    expect(undoRecordOf({ kind: 'create', object: { id: 'a', type: 'rect' } }, view)).toBeUndefined()
  })
})

describe('UndoHistory', () => {
  const entry = (opId: string): UndoEntry => ({ opIds: [opId], record: { kind: 'create', id: opId } })

  it('[SYNC10] when a new edit follows an undo, then redo is empty', () => {
    const history = new UndoHistory()
    history.pushEdit([entry('a')])
    expect(history.popUndo()).toEqual([entry('a')])
    history.pushUndone([entry('a2')])
    expect(history.canRedo).toBe(true)
    history.pushRedone([entry('a3')])
    expect(history.canRedo).toBe(true)
    history.pushEdit([entry('b')])
    expect(history.canRedo).toBe(false)
    expect(history.popUndo()).toEqual([entry('b')])
    expect(history.popUndo()).toEqual([entry('a3')])
    expect(history.canUndo).toBe(false)
  })

  it('[SYNC10] when more steps than the limit are pushed, then the oldest go', () => {
    const history = new UndoHistory(2)
    for (const id of ['a', 'b', 'c']) history.pushEdit([entry(id)])
    expect(history.popUndo()).toEqual([entry('c')])
    expect(history.popUndo()).toEqual([entry('b')])
    expect(history.popUndo()).toBeUndefined()
  })

  it('[SYNC7] when an op is forgotten, then its entries go and a step left empty goes too', () => {
    const history = new UndoHistory()
    history.pushEdit([entry('a'), entry('b')])
    history.pushEdit([entry('c')])
    history.forget('c')
    history.forget('a')
    expect(history.popUndo()).toEqual([entry('b')])
    expect(history.canUndo).toBe(false)
  })

  it('[SYNC7] when one op of a merged entry is forgotten, then the entry stays with the others', () => {
    const history = new UndoHistory()
    const merged: UndoEntry = {
      opIds: ['u1', 'u2'],
      record: { kind: 'update', id: 'a', before: { x: 0 }, after: { x: 2 } },
    }
    history.pushEdit([merged])
    history.forget('u1')
    expect(history.popUndo()).toEqual([{ ...merged, opIds: ['u2'] }])
  })
})

describe('addToStep', () => {
  const update = (
    opId: string,
    id: string,
    before: Record<string, number>,
    after: Record<string, number>,
  ): UndoEntry => ({
    opIds: [opId],
    record: { kind: 'update', id, before, after },
  })

  it('[SYNC13] when a step updates one object many times, then it holds one entry: first before, last after', () => {
    const step: UndoEntry[] = []
    addToStep(step, update('1', 'a', { x: 0 }, { x: 1 }))
    addToStep(step, update('2', 'b', { x: 100 }, { x: 101 }))
    addToStep(step, update('3', 'a', { x: 1, y: 0 }, { x: 2, y: 5 }))
    addToStep(step, update('4', 'a', { x: 2 }, { x: 3 }))
    expect(step).toEqual([
      {
        opIds: ['1', '3', '4'],
        record: { kind: 'update', id: 'a', before: { x: 0, y: 0 }, after: { x: 3, y: 5 } },
      },
      update('2', 'b', { x: 100 }, { x: 101 }),
    ])
  })

  it('[SYNC13] when a create or delete of the object comes between, then the updates stay apart', () => {
    const step: UndoEntry[] = []
    addToStep(step, { opIds: ['1'], record: { kind: 'create', id: 'a' } })
    addToStep(step, update('2', 'a', { x: 0 }, { x: 1 }))
    addToStep(step, { opIds: ['3'], record: { kind: 'delete', object: { id: 'a', type: 'rect', x: 1 } } })
    addToStep(step, update('4', 'a', { x: 1 }, { x: 2 }))
    expect(step.map((e) => e.opIds)).toEqual([['1'], ['2'], ['3'], ['4']])
  })
})

import { describe, expect, it } from 'vitest'
import type { UndoEntry } from '../../../src/web/sync/undoHistory.js'
import { UndoRecorder } from '../../../src/web/sync/undoRecorder.js'

const created = (opId: string, id: string): UndoEntry => ({ opIds: [opId], record: { kind: 'create', id } })
const moved = (opId: string, id: string, from: number, to: number): UndoEntry => ({
  opIds: [opId],
  record: { kind: 'update', id, before: { x: from }, after: { x: to } },
})

describe('UndoRecorder', () => {
  it('[SYNC13] when edits are made inside nested steps, then the outermost end closes one step, updates of one object merged', () => {
    const steps = new UndoRecorder()
    steps.begin()
    steps.record(created('a', 'r1'))
    steps.begin()
    steps.record(moved('b', 'r1', 0, 5))
    expect(steps.end()).toBe(false)
    steps.record(moved('c', 'r1', 5, 9))
    expect(steps.canUndo).toBe(false)
    expect(steps.end()).toBe(true)
    expect(steps.end()).toBe(false) // unbalanced: ignored
    expect(steps.takeUndo()).toEqual([
      created('a', 'r1'),
      { opIds: ['b', 'c'], record: { kind: 'update', id: 'r1', before: { x: 0 }, after: { x: 9 } } },
    ])
    expect(steps.canUndo).toBe(false)
  })

  it('[SYNC10] when an edit is made outside a step, then it is a step of its own, and a new edit empties redo', () => {
    const steps = new UndoRecorder()
    steps.record(created('a', 'r1'))
    steps.record(created('b', 'r2'))
    const undone = steps.takeUndo()
    expect(undone).toEqual([created('b', 'r2')])
    steps.undone([{ opIds: ['x'], record: { kind: 'delete', object: { id: 'r2', type: 'rect' } } }])
    expect(steps.canRedo).toBe(true)
    steps.record(created('c', 'r3'))
    expect(steps.canRedo).toBe(false)
  })

  it('[SYNC13] when undo is pressed inside an open step, then what the step holds so far is undone as a step', () => {
    const steps = new UndoRecorder()
    steps.begin()
    steps.record(created('a', 'r1'))
    expect(steps.takeUndo()).toEqual([created('a', 'r1')])
    steps.record(created('b', 'r2'))
    expect(steps.end()).toBe(true)
    expect(steps.takeUndo()).toEqual([created('b', 'r2')])
  })

  it('[SYNC7] when an op is refused, then its entry is forgotten and a step left empty goes', () => {
    const steps = new UndoRecorder()
    steps.record(created('a', 'r1'))
    steps.record(created('b', 'r2'))
    steps.forget('b')
    expect(steps.takeUndo()).toEqual([created('a', 'r1')])
    expect(steps.canUndo).toBe(false)
  })
})

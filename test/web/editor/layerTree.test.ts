import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { sortByZ } from '../../../src/web/canvas/geometry.js'
import { layerName, layerRows } from '../../../src/web/editor/layerTree.js'
import { lockChanges, pickable } from '../../../src/web/editor/locking.js'

// [ED-S5] The layers panel's rows; [ED-S3] what a lock leaves pickable.

function obj(id: string, extra: Partial<CanvasObject> = {}): CanvasObject {
  return { id, type: 'rect', createdBy: 'u', updatedAt: '', version: 1, ...extra }
}

describe('[ED-S5] layer rows', () => {
  it('[ED-S5] when frames and groups hold objects then rows list the topmost first with children nested under their container', () => {
    const sorted = sortByZ([
      obj('bottom', { zIndex: 0 }),
      obj('frame', { type: 'frame', zIndex: 1 }),
      obj('inFrame1', { parentId: 'frame', zIndex: 2 }),
      obj('group', { type: 'group', parentId: 'frame', zIndex: 4 }),
      obj('inGroup', { parentId: 'group', zIndex: 3 }),
      obj('inFrame2', { parentId: 'frame', zIndex: 5 }),
      obj('top', { zIndex: 6 }),
      obj('orphan', { parentId: 'gone', zIndex: 7 }),
    ])
    expect(layerRows(sorted).map((r) => `${'-'.repeat(r.depth)}${r.object.id}`)).toEqual([
      'orphan',
      'top',
      'frame',
      '-inFrame2',
      '-group',
      '--inGroup',
      '-inFrame1',
      'bottom',
    ])
  })

  it('[ED-S5] when parent links form a cycle then every object is still listed once', () => {
    const rows = layerRows([
      obj('a', { type: 'group', parentId: 'b' }),
      obj('b', { type: 'group', parentId: 'a' }),
    ])
    expect(rows.map((r) => r.object.id).sort()).toEqual(['a', 'b'])
  })

  it('[ED-S5] when an object has a name then the row shows it, else its kind and the start of its words', () => {
    expect(layerName(obj('a', { type: 'frame', name: 'Login' }))).toBe('Login')
    expect(layerName(obj('b', { type: 'text', text: 'hello\n  there' }))).toBe('Text: hello there')
    expect(layerName(obj('c', { type: 'rect', text: 'x'.repeat(30) }))).toBe(`Rectangle: ${'x'.repeat(24)}…`)
    expect(layerName(obj('d', { type: 'ellipse', name: '  ' }))).toBe('Ellipse')
  })
})

describe('[ED-S3] lock', () => {
  it('[ED-S3] when some objects are locked then only the others are pickable, and locking changes only what differs', () => {
    const a = obj('a', { locked: true })
    const b = obj('b')
    expect(pickable([a, b])).toEqual([b])
    const all = [b]
    expect(pickable(all)).toBe(all)
    expect(lockChanges([a, b], true)).toEqual([['b', { locked: true }]])
    expect(lockChanges([a, b], false)).toEqual([['a', { locked: false }]])
  })
})

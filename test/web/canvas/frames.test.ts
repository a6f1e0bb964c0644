import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { sortByZ } from '../../../src/web/canvas/geometry.js'
import {
  adoptOnCreate,
  descendantsOf,
  followFrames,
  frameAround,
  nextFrameName,
  reparentOnMove,
  withFrameChildren,
  withFrameFollowUps,
} from '../../../src/web/canvas/frames.js'

// [ED-S4] Frames as pure data: children by parentId, following, adoption on drop and on draw.

function obj(id: string, extra: Partial<CanvasObject> = {}): CanvasObject {
  return {
    id,
    type: 'rect',
    x: 0,
    y: 0,
    width: 10,
    height: 10,
    createdBy: 'u',
    updatedAt: '',
    version: 1,
    ...extra,
  }
}
const mapOf = (...objects: CanvasObject[]) => new Map(objects.map((o) => [o.id, o]))
const frame = obj('f', { type: 'frame', x: 100, y: 100, width: 300, height: 200, zIndex: 1 })

describe('[ED-S4] frames', () => {
  it('[ED-S4] when a frame moves then its children and its groups’ shapes move by as much, in the same step', () => {
    const objects = mapOf(
      frame,
      obj('child', { x: 120, y: 130, parentId: 'f', zIndex: 2 }),
      obj('g', { type: 'group', parentId: 'f' }),
      obj('member', { x: 200, y: 200, parentId: 'g', zIndex: 3 }),
      obj('outside', { x: 0, y: 0 }),
    )
    expect(followFrames(objects, [['f', { x: 150, y: 90 }]])).toEqual([
      ['child', { x: 170, y: 120 }],
      ['member', { x: 250, y: 190 }],
    ])
  })

  it('[ED-S4] when a frame is resized (its corner moves with a new size) then its children stay', () => {
    const objects = mapOf(frame, obj('child', { x: 120, y: 130, parentId: 'f' }))
    expect(followFrames(objects, [['f', { x: 50, y: 50, width: 350, height: 250 }]])).toEqual([])
  })

  it('[ED-S4] when a child is already moved by the same step then it is not moved twice', () => {
    const objects = mapOf(frame, obj('child', { x: 120, y: 130, parentId: 'f' }))
    expect(
      followFrames(objects, [
        ['f', { x: 110, y: 100 }],
        ['child', { x: 130, y: 130 }],
      ]),
    ).toEqual([])
  })

  it('[ED-S4] when a loose shape is dropped with its centre in a frame then it becomes its child, raised above it', () => {
    const objects = mapOf(frame, obj('shape', { x: 0, y: 0, zIndex: 0 }), obj('top', { zIndex: 7, x: 900 }))
    const sorted = sortByZ(objects.values())
    expect(reparentOnMove(objects, sorted, [['shape', { x: 200, y: 150 }]])).toEqual([
      ['shape', { parentId: 'f', zIndex: 8 }],
    ])
  })

  it('[ED-S4] when a child is dragged out of its frame then it becomes loose; moved inside, it stays', () => {
    const objects = mapOf(frame, obj('child', { x: 120, y: 130, parentId: 'f', zIndex: 2 }))
    const sorted = sortByZ(objects.values())
    expect(reparentOnMove(objects, sorted, [['child', { x: 600, y: 130 }]])).toEqual([
      ['child', { parentId: null }],
    ])
    expect(reparentOnMove(objects, sorted, [['child', { x: 300, y: 200 }]])).toEqual([])
  })

  it('[ED-S4] when a frame moves with its children then nobody is reparented, and frames and grouped shapes never are', () => {
    const objects = mapOf(
      frame,
      obj('child', { x: 120, y: 130, parentId: 'f' }),
      obj('other', { type: 'frame', x: 1000, y: 0, width: 100, height: 100 }),
      obj('g', { type: 'group' }),
      obj('member', { x: 0, y: 0, parentId: 'g' }),
    )
    const sorted = sortByZ(objects.values())
    expect(
      reparentOnMove(objects, sorted, [
        ['f', { x: 900, y: 0 }],
        ['child', { x: 920, y: 30 }],
        ['member', { x: 1020, y: 20 }],
      ]),
    ).toEqual([])
  })

  it('[ED-S4] when a shape is drawn inside a frame then it is born its child; a frame never is', () => {
    const sorted = [frame]
    expect(
      adoptOnCreate(sorted, { id: 'n', type: 'rect', x: 150, y: 150, width: 20, height: 20 }).parentId,
    ).toBe('f')
    expect(
      adoptOnCreate(sorted, { id: 'n', type: 'rect', x: 0, y: 0, width: 20, height: 20 }).parentId,
    ).toBeUndefined()
    expect(
      adoptOnCreate(sorted, { id: 'n', type: 'frame', x: 150, y: 150, width: 20, height: 20 }).parentId,
    ).toBeUndefined()
  })

  it('[ED-S4] when a frame is drawn around loose shapes then it adopts those wholly inside, goes below them and gets a name', () => {
    const sorted = sortByZ([
      obj('inside', { x: 20, y: 20, zIndex: 5 }),
      obj('half', { x: 95, y: 20, zIndex: 6 }),
      obj('grouped', { x: 30, y: 30, parentId: 'g', zIndex: 7 }),
      obj('g', { type: 'group', zIndex: 7 }),
      obj('old', { type: 'frame', x: 500, y: 500, width: 10, height: 10 }),
    ])
    const made = frameAround(sorted, {
      id: 'new',
      type: 'frame',
      x: 0,
      y: 0,
      width: 100,
      height: 100,
      zIndex: 8,
    })
    expect(made.frame).toMatchObject({ name: 'Frame 2', zIndex: 4 })
    expect(made.changes).toEqual([['inside', { parentId: 'new' }]])
    expect(nextFrameName([])).toBe('Frame 1')
  })

  it('[ED-S4] when parent links form a cycle then descendants stop where it closes', () => {
    const objects = mapOf(obj('a', { parentId: 'b' }), obj('b', { parentId: 'a' }))
    expect([...descendantsOf(objects, ['a'])]).toEqual(['b'])
  })
})

describe('[ED-S4] frame follow-ups in one step', () => {
  it('[ED-S4] when a frame moves and a loose shape is dropped into it in one step then each object gets one merged change', () => {
    const objects = mapOf(
      frame,
      obj('child', { x: 120, y: 130, parentId: 'f', zIndex: 2 }),
      obj('s', { x: 0, y: 0, zIndex: 3 }),
    )
    const sorted = sortByZ(objects.values())
    expect(
      withFrameFollowUps(objects, sorted, [
        ['f', { x: 110, y: 100 }],
        ['s', { x: 200, y: 200 }],
      ]),
    ).toEqual([
      ['f', { x: 110, y: 100 }],
      ['s', { x: 200, y: 200, parentId: 'f' }],
      ['child', { x: 130, y: 130 }],
    ])
  })

  it('[ED-S4][ED-S3] when a frame is deleted then its children go with it, except locked ones', () => {
    const objects = mapOf(
      frame,
      obj('child', { parentId: 'f' }),
      obj('locked', { parentId: 'f', locked: true }),
      obj('other'),
    )
    expect(withFrameChildren(objects, ['f']).sort()).toEqual(['child', 'f'])
    expect(withFrameChildren(objects, ['other'])).toEqual(['other'])
  })
})

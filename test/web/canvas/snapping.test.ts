import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import {
  snapBox,
  snapOptions,
  snapPoint,
  snapTargets,
  targetsAmong,
} from '../../../src/web/canvas/snapping.js'

// [ED-S2] Snapping math: shape edges and centres, then the grid, with guides.

const others = snapTargets([
  { x: 100, y: 100, width: 100, height: 50 },
  { x: 400, y: 300, width: 60, height: 60 },
])
const near = { threshold: 6, grid: undefined }

describe('[ED-S2] snapping', () => {
  it('[ED-S2] when a moved box’s left edge comes within the threshold of another’s then it snaps there with a vertical guide across both', () => {
    const snap = snapBox({ x: 104, y: 200, width: 30, height: 30 }, others, near)
    expect(snap.dx).toBe(-4)
    expect(snap.dy).toBe(0)
    expect(snap.guides).toEqual([{ axis: 'x', at: 100, from: 100, to: 230 }])
  })

  it('[ED-S2] when centres are near then the centre snaps (middle to middle)', () => {
    // Box centre y 128 against the first shape's middle 125.
    const snap = snapBox({ x: 600, y: 118, width: 20, height: 20 }, others, near)
    expect(snap.dy).toBe(-3)
    expect(snap.guides).toEqual([{ axis: 'y', at: 125, from: 100, to: 620 }])
  })

  it('[ED-S2] when two lines are within reach then the nearer wins', () => {
    // Right edge 457 is 3 from 460; left edge 395 is 5 from 400.
    const snap = snapBox({ x: 395, y: 0, width: 62, height: 10 }, others, near)
    expect(snap.dx).toBe(3)
  })

  it('[ED-S2] when nothing is near and the grid is off then nothing moves and no guide shows', () => {
    expect(snapBox({ x: 250, y: 250, width: 10, height: 10 }, others, near)).toEqual({
      dx: 0,
      dy: 0,
      guides: [],
    })
  })

  it('[ED-S2] when nothing is near and the grid is on then the top-left corner goes to the nearest grid point, without guides', () => {
    const snap = snapBox({ x: 250, y: 237, width: 10, height: 10 }, others, { threshold: 6, grid: 24 })
    expect([snap.dx, snap.dy]).toEqual([-10, 3])
    expect(snap.guides).toEqual([])
  })

  it('[ED-S2] when a shape is near then it wins over the grid on that axis only', () => {
    const snap = snapBox({ x: 98, y: 237, width: 10, height: 10 }, others, { threshold: 6, grid: 24 })
    expect([snap.dx, snap.dy]).toEqual([2, 3])
  })

  it('[ED-S2] when a resize handle is dragged near an edge then the point snaps on each axis separately', () => {
    const snap = snapPoint({ x: 198, y: 355 }, others, near)
    expect(snap.point).toEqual({ x: 200, y: 360 })
    expect(snap.guides.map((g) => [g.axis, g.at])).toEqual([
      ['x', 200],
      ['y', 360],
    ])
  })

  it('[ED-S2] when there are no other shapes then only the grid applies', () => {
    const none = snapTargets([])
    expect(snapPoint({ x: 13, y: 35 }, none, { threshold: 6, grid: 24 }).point).toEqual({ x: 24, y: 24 })
    expect(snapPoint({ x: 13, y: 35 }, none, near).point).toEqual({ x: 13, y: 35 })
  })
})

describe('[ED-S2] what a drag snaps to', () => {
  const shape = (id: string, x: number, extra: Partial<CanvasObject> = {}): CanvasObject => ({
    id,
    type: 'rect',
    x,
    y: 0,
    width: 10,
    height: 10,
    createdBy: 'u',
    updatedAt: '',
    version: 1,
    ...extra,
  })

  it('[ED-S2] when shapes move then neither they, nor groups, nor connectors bound to them are targets; with shapes off nothing is', () => {
    const objects = [
      shape('moving', 0),
      shape('still', 100),
      shape('group', 300, { type: 'group' }),
      shape('bound', 500, { type: 'arrow', points: [0, 0, 50, 0], endId: 'moving' }),
    ]
    const targets = targetsAmong(objects, new Set(['moving']), { shapes: true, grid: false })
    expect(targets.xs.map((l) => l.at)).toEqual([100, 105, 110])
    expect(targetsAmong(objects, new Set(['moving']), { shapes: false, grid: true }).xs).toEqual([])
  })

  it('[ED-S2] when Alt is held or both switches are off then there are no snap options; the threshold is six screen pixels', () => {
    expect(snapOptions({ shapes: true, grid: true }, 2, true)).toBeUndefined()
    expect(snapOptions({ shapes: false, grid: false }, 2, false)).toBeUndefined()
    expect(snapOptions({ shapes: false, grid: true }, 2, false)).toEqual({ threshold: 3, grid: 24 })
    expect(snapOptions({ shapes: true, grid: false }, 0.5, false)).toEqual({ threshold: 12, grid: undefined })
  })
})

import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import {
  alignChanges,
  alignShifts,
  distributeChanges,
  distributeShifts,
} from '../../../src/web/editor/alignDistribute.js'

// [ED-S1] Align and distribute as pure geometry.

const box = (x: number, y: number, width: number, height: number) => ({ x, y, width, height })
const boxes = [box(10, 0, 20, 10), box(50, 40, 40, 20), box(0, 100, 10, 30)]

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

describe('[ED-S1] align and distribute', () => {
  it.each([
    ['left', [-10, -50, 0], 0],
    ['center', [25, -25, 40], 45],
    ['right', [60, 0, 80], 90],
  ] as const)('[ED-S1] when aligned %s then every box’s edge lands on the selection’s', (how, dxs, line) => {
    const shifts = alignShifts(boxes, how)
    expect(shifts.map((s) => s.dx)).toEqual(dxs)
    expect(shifts.every((s) => s.dy === 0)).toBe(true)
    const moved = boxes.map((b, i) => ({ ...b, x: b.x + shifts[i]!.dx }))
    const edge = (b: (typeof moved)[number]) =>
      how === 'left' ? b.x : how === 'right' ? b.x + b.width : b.x + b.width / 2
    expect(moved.map(edge)).toEqual([line, line, line])
  })

  it.each([
    ['top', [0, -40, -100]],
    ['middle', [60, 15, -50]],
    ['bottom', [120, 70, 0]],
  ] as const)('[ED-S1] when aligned %s then only vertical positions change', (how, dys) => {
    const shifts = alignShifts(boxes, how)
    expect(shifts.map((s) => s.dy)).toEqual(dys)
    expect(shifts.every((s) => s.dx === 0)).toBe(true)
  })

  it('[ED-S1] when fewer than two boxes are aligned or three distributed then nothing moves', () => {
    expect(alignShifts([box(5, 5, 1, 1)], 'left')).toEqual([{ dx: 0, dy: 0 }])
    expect(distributeShifts([box(0, 0, 1, 1), box(50, 0, 1, 1)], 'horizontal')).toEqual([
      { dx: 0, dy: 0 },
      { dx: 0, dy: 0 },
    ])
  })

  it('[ED-S1] when distributed horizontally then the outer boxes stay and the gaps are equal, whatever the input order', () => {
    const input = [box(100, 0, 20, 10), box(0, 0, 10, 10), box(30, 5, 40, 10)]
    const shifts = distributeShifts(input, 'horizontal')
    const moved = input.map((b, i) => ({ ...b, x: b.x + shifts[i]!.dx, y: b.y + shifts[i]!.dy }))
    expect(moved.map((b) => b.y)).toEqual([0, 0, 5])
    expect(moved[0]!.x).toBe(100)
    expect(moved[1]!.x).toBe(0)
    // Gaps: 0..10, then the 40-wide box, then 100..120: (120 - 70) / 2 = 25 each.
    expect(moved[2]!.x).toBe(35)
  })

  it('[ED-S1] when distributed vertically then the gaps are equal on y', () => {
    const input = [box(0, 0, 10, 10), box(0, 12, 10, 10), box(0, 90, 10, 10), box(0, 40, 10, 30)]
    const shifts = distributeShifts(input, 'vertical')
    const ys = input.map((b, i) => b.y + shifts[i]!.dy)
    // Span 100, heights 60: three gaps of 40/3.
    const gap = 40 / 3
    expect(ys[0]).toBe(0)
    expect(ys[1]).toBeCloseTo(10 + gap)
    expect(ys[3]).toBeCloseTo(20 + 2 * gap)
    expect(ys[2]).toBe(90)
  })

  it('[ED-S1] when a grouped pair is aligned with a loose shape then the group moves as one unit and keeps its shape', () => {
    const objects = mapOf(
      obj('g', { type: 'group' }),
      obj('a', { x: 100, y: 0, parentId: 'g' }),
      obj('b', { x: 150, y: 50, parentId: 'g' }),
      obj('loose', { x: 20, y: 300 }),
    )
    const selected = ['a', 'b', 'loose'].map((id) => objects.get(id)!)
    expect(new Map(alignChanges(objects, selected, 'left'))).toEqual(
      new Map([
        ['a', { x: 20, y: 0 }],
        ['b', { x: 70, y: 50 }],
      ]),
    )
  })

  it('[ED-S1] when a frame and its child are selected then the child is left to follow its frame', () => {
    const objects = mapOf(
      obj('f', { type: 'frame', x: 100, y: 100, width: 200, height: 200 }),
      obj('child', { x: 150, y: 150, parentId: 'f' }),
      obj('other', { x: 0, y: 0 }),
      obj('far', { x: 500, y: 0 }),
    )
    const selected = ['f', 'child', 'other', 'far'].map((id) => objects.get(id)!)
    const changes = distributeChanges(objects, selected, 'horizontal')
    expect(changes.map(([id]) => id)).not.toContain('child')
    expect(alignChanges(objects, selected, 'top').map(([id]) => id)).toEqual(['f'])
  })
})

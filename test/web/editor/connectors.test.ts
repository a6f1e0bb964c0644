import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { edgePoint, followConnectors, routeConnector } from '../../../src/web/canvas/connectors.js'

// [ED-C1] Connectors as pure geometry: bound ends sit on their shapes' edges and follow moves.

const at = '2026-01-01T00:00:00.000Z'
function obj(id: string, extra: Partial<CanvasObject>): CanvasObject {
  return { id, type: 'rect', createdBy: 'u', updatedAt: at, version: 1, ...extra }
}

describe('[ED-C1] connectors', () => {
  it('[ED-C1] when the segment leaves a box or an ellipse then the edge point is on its outline', () => {
    const box = obj('b', { x: 0, y: 0, width: 100, height: 50 })
    expect(edgePoint(box, { x: 300, y: 25 })).toEqual({ x: 100, y: 25 })
    expect(edgePoint(box, { x: 50, y: -100 })).toEqual({ x: 50, y: 0 })
    const circle = obj('c', { type: 'ellipse', x: 0, y: 0, width: 100, height: 100 })
    const p = edgePoint(circle, { x: 200, y: 200 })
    expect(Math.hypot(p.x - 50, p.y - 50)).toBeCloseTo(50, 6)
  })

  it('[ED-C1] when both ends are bound then the connector runs edge to edge; an unbound end stays put', () => {
    const shapes = new Map([
      ['a', obj('a', { x: 0, y: 0, width: 100, height: 100 })],
      ['b', obj('b', { x: 300, y: 0, width: 100, height: 100 })],
    ])
    const arrow = obj('arr', { type: 'arrow', x: 0, y: 0, points: [0, 0, 10, 10], startId: 'a', endId: 'b' })
    expect(routeConnector(arrow, (id) => shapes.get(id))).toMatchObject({
      x: 100,
      y: 50,
      points: [0, 0, 200, 0],
    })
    const half = obj('h', { type: 'line', x: 500, y: 500, points: [0, 0, 10, 0], startId: null, endId: 'a' })
    expect(routeConnector(half, (id) => shapes.get(id))).toMatchObject({ x: 500, y: 500 })
  })

  it('[ED-C1] when a bound shape moves then only its connectors get changes, against the moved shape', () => {
    const objects = new Map<string, CanvasObject>([
      ['a', obj('a', { x: 0, y: 0, width: 100, height: 100 })],
      ['b', obj('b', { x: 300, y: 0, width: 100, height: 100 })],
      ['arr', obj('arr', { type: 'arrow', x: 100, y: 50, points: [0, 0, 200, 0], startId: 'a', endId: 'b' })],
      ['loose', obj('loose', { type: 'line', x: 0, y: 0, points: [0, 0, 1, 1] })],
    ])
    const follow = followConnectors(objects, [['b', { y: 300 }]])
    expect(follow.map(([id]) => id)).toEqual(['arr'])
    const [, change] = follow[0] ?? []
    // From a's centre (50, 50) towards b's new centre (350, 350): a 45° line, box edge to box edge.
    expect(change).toMatchObject({ x: 100, y: 100, points: [0, 0, 200, 200] })
    expect(followConnectors(objects, [['arr', { x: 0 }]])).toEqual([])
  })
})

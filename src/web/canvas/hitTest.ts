import type { CanvasObject } from '../../protocol/objects.js'
import { isPointBased, localBox, objectBounds } from './geometry.js'
import type { Point } from './viewport.js'

/**
 * Which object is under a point, topmost first, from the data alone. The objects layer does
 * not listen (Konva performance tips): no hit canvas is drawn for thousands of shapes on every
 * change, and no pixel is read back on every pointer event.
 */
export function hitTest(
  sorted: readonly CanvasObject[],
  p: Point,
  tolerance: number,
): CanvasObject | undefined {
  for (let i = sorted.length - 1; i >= 0; i--) {
    const o = sorted[i]
    // A group is a name for its members, never a shape of its own [ED-G1].
    if (o && o.type !== 'group' && hits(o, p, tolerance)) return o
  }
  return undefined
}

export function hits(o: CanvasObject, p: Point, tolerance: number): boolean {
  const b = objectBounds(o)
  if (
    p.x < b.x - tolerance ||
    p.y < b.y - tolerance ||
    p.x > b.x + b.width + tolerance ||
    p.y > b.y + b.height + tolerance
  )
    return false
  // Into the object's own frame: (x, y) at the origin, unrotated.
  const angle = (-(o.rotation ?? 0) * Math.PI) / 180
  const dx = p.x - (o.x ?? 0)
  const dy = p.y - (o.y ?? 0)
  const lx = dx * Math.cos(angle) - dy * Math.sin(angle)
  const ly = dx * Math.sin(angle) + dy * Math.cos(angle)

  if (isPointBased(o.type)) {
    const reach = Math.max(tolerance, (o.strokeWidth ?? 2) / 2 + tolerance / 2)
    return distanceToPolyline(o.points ?? [], lx, ly) <= reach
  }
  const box = localBox(o)
  if (o.type === 'ellipse') {
    const rx = box.width / 2 + tolerance
    const ry = box.height / 2 + tolerance
    const nx = (lx - box.width / 2) / rx
    const ny = (ly - box.height / 2) / ry
    return nx * nx + ny * ny <= 1
  }
  return (
    lx >= box.x - tolerance &&
    ly >= box.y - tolerance &&
    lx <= box.x + box.width + tolerance &&
    ly <= box.y + box.height + tolerance
  )
}

function distanceToPolyline(points: readonly number[], x: number, y: number): number {
  let best = Infinity
  for (let i = 0; i + 3 < points.length; i += 2) {
    best = Math.min(
      best,
      distanceToSegment(x, y, points[i] ?? 0, points[i + 1] ?? 0, points[i + 2] ?? 0, points[i + 3] ?? 0),
    )
  }
  if (points.length === 2) best = Math.hypot(x - (points[0] ?? 0), y - (points[1] ?? 0))
  return best
}

function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const abx = bx - ax
  const aby = by - ay
  const lengthSq = abx * abx + aby * aby
  const t = lengthSq === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * abx + (py - ay) * aby) / lengthSq))
  return Math.hypot(px - (ax + t * abx), py - (ay + t * aby))
}

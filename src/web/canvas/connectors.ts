import type { CanvasObject, NewObject, ObjectChanges } from '../../protocol/objects.js'
import { isPointBased, round } from './geometry.js'
import type { Point } from './viewport.js'

/**
 * Connectors [ED-C1]: a line or arrow whose ends name shapes (`startId`, `endId`) runs from the
 * edge of one to the edge of the other, aimed at their centres, and follows them when they move.
 * Pure: the editor adds the connectors' follow-up changes to the same step as the move.
 */

export function isConnector(o: Pick<NewObject, 'type'>): boolean {
  return o.type === 'line' || o.type === 'arrow'
}

/** Shapes a connector end may bind to: boxes, not other lines and not groups. */
export function canBind(o: CanvasObject): boolean {
  return !isPointBased(o.type) && o.type !== 'group'
}

function centerOf(o: NewObject): Point {
  return { x: (o.x ?? 0) + (o.width ?? 0) / 2, y: (o.y ?? 0) + (o.height ?? 0) / 2 }
}

/** Where the segment from `o`'s centre towards `toward` leaves `o` (its box, or its ellipse). */
export function edgePoint(o: NewObject, toward: Point): Point {
  const c = centerOf(o)
  const dx = toward.x - c.x
  const dy = toward.y - c.y
  if (dx === 0 && dy === 0) return c
  const rx = Math.abs(o.width ?? 0) / 2
  const ry = Math.abs(o.height ?? 0) / 2
  const t =
    o.type === 'ellipse'
      ? 1 / Math.sqrt((dx / Math.max(rx, 1e-9)) ** 2 + (dy / Math.max(ry, 1e-9)) ** 2)
      : Math.min(dx === 0 ? Infinity : rx / Math.abs(dx), dy === 0 ? Infinity : ry / Math.abs(dy))
  const k = Math.min(1, t)
  return { x: c.x + dx * k, y: c.y + dy * k }
}

/** The absolute ends of a line as stored: its first and last points, offset by (x, y). */
function endsOf(o: NewObject): [Point, Point] {
  const p = o.points ?? [0, 0, 0, 0]
  const n = p.length
  const x = o.x ?? 0
  const y = o.y ?? 0
  return [
    { x: x + (p[0] ?? 0), y: y + (p[1] ?? 0) },
    { x: x + (p[n - 2] ?? 0), y: y + (p[n - 1] ?? 0) },
  ]
}

/** A connector's geometry from its ends (bound ones on their shapes' edges), as changes. */
export function routeConnector(
  connector: NewObject,
  shapeOf: (id: string) => NewObject | undefined,
): ObjectChanges {
  const [oldStart, oldEnd] = endsOf(connector)
  const from = connector.startId == null ? undefined : shapeOf(connector.startId)
  const to = connector.endId == null ? undefined : shapeOf(connector.endId)
  const aimStart = to ? centerOf(to) : oldEnd
  const aimEnd = from ? centerOf(from) : oldStart
  const start = from ? edgePoint(from, aimStart) : oldStart
  const end = to ? edgePoint(to, aimEnd) : oldEnd
  const dx = round(end.x - start.x)
  const dy = round(end.y - start.y)
  return {
    x: round(start.x),
    y: round(start.y),
    rotation: 0,
    points: [0, 0, dx, dy],
    width: Math.abs(dx),
    height: Math.abs(dy),
  }
}

/**
 * The changes `changes` imply for connectors bound to the objects they move or resize: each
 * re-routed against the shapes as they will be. Connectors in `changes` themselves are left alone.
 */
export function followConnectors(
  objects: ReadonlyMap<string, CanvasObject>,
  changes: ReadonlyArray<readonly [string, ObjectChanges]>,
): [string, ObjectChanges][] {
  const moved = new Map(changes)
  if (moved.size === 0) return []
  const follow: [string, ObjectChanges][] = []
  for (const o of objects.values()) {
    if (!isConnector(o) || moved.has(o.id)) continue
    const bound = (o.startId != null && moved.has(o.startId)) || (o.endId != null && moved.has(o.endId))
    if (!bound) continue
    const shapeOf = (id: string): NewObject | undefined => {
      const shape = objects.get(id)
      return shape && { ...shape, ...moved.get(id) }
    }
    follow.push([o.id, routeConnector(o, shapeOf)])
  }
  return follow
}

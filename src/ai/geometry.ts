import type { NewObject } from '../protocol/objects.js'

export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/**
 * An object's axis-aligned bounds from its data alone. A rotated object gets the box its rotation
 * can sweep (the circle around its own box): placement stays clear of it whatever the angle.
 */
export function boundsOf(o: NewObject): Box {
  const x = o.x ?? 0
  const y = o.y ?? 0
  if ((o.type === 'line' || o.type === 'arrow' || o.type === 'path') && o.points && o.points.length >= 2) {
    let minX = Infinity
    let minY = Infinity
    let maxX = -Infinity
    let maxY = -Infinity
    for (let i = 0; i + 1 < o.points.length; i += 2) {
      const px = o.points[i] as number
      const py = o.points[i + 1] as number
      minX = Math.min(minX, px)
      maxX = Math.max(maxX, px)
      minY = Math.min(minY, py)
      maxY = Math.max(maxY, py)
    }
    return { x: x + minX, y: y + minY, width: maxX - minX, height: maxY - minY }
  }
  const fontSize = o.fontSize ?? 24
  const width = o.width ?? (o.type === 'text' ? 200 : 0)
  const height = o.height ?? (o.type === 'text' ? fontSize * 1.25 : 0)
  if (!o.rotation) return { x, y, width, height }
  const r = Math.hypot(width, height)
  return { x: x - r, y: y - r, width: 2 * r, height: 2 * r }
}

export function intersects(a: Box, b: Box, margin = 0): boolean {
  return (
    a.x < b.x + b.width + margin &&
    b.x < a.x + a.width + margin &&
    a.y < b.y + b.height + margin &&
    b.y < a.y + a.height + margin
  )
}

export function union(boxes: readonly Box[]): Box | undefined {
  if (boxes.length === 0) return undefined
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const b of boxes) {
    minX = Math.min(minX, b.x)
    minY = Math.min(minY, b.y)
    maxX = Math.max(maxX, b.x + b.width)
    maxY = Math.max(maxY, b.y + b.height)
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY }
}

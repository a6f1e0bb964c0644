import type { CanvasObject } from '../../protocol/objects.js'
import type { Bounds, Point } from './viewport.js'

/** Object geometry from the data alone (no Konva nodes): selection hit tests, fitting, pasting. */

export const DEFAULT_FONT_FAMILY =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
export const TEXT_LINE_HEIGHT = 1.25

export function isPointBased(type: CanvasObject['type']): boolean {
  return type === 'line' || type === 'arrow' || type === 'path'
}

/** The box in the object's own frame (before rotation), relative to (x, y). */
export function localBox(o: CanvasObject): Bounds {
  if (isPointBased(o.type) && o.points && o.points.length >= 2) {
    const b = pointsBounds(o.points)
    const pad = (o.strokeWidth ?? 2) / 2
    return { x: b.x - pad, y: b.y - pad, width: b.width + pad * 2, height: b.height + pad * 2 }
  }
  if (o.type === 'text') {
    const fontSize = o.fontSize ?? 24
    const lines = Math.max(1, (o.text ?? '').split('\n').length)
    return { x: 0, y: 0, width: o.width ?? 200, height: o.height ?? lines * fontSize * TEXT_LINE_HEIGHT }
  }
  return { x: 0, y: 0, width: o.width ?? 0, height: o.height ?? 0 }
}

const boundsCache = new WeakMap<CanvasObject, Bounds>()

/**
 * Axis-aligned world bounds, rotation included. Objects are immutable (a change is a new
 * object), so the answer is cached per object: culling, hit tests and marquees reuse it.
 */
export function objectBounds(o: CanvasObject): Bounds {
  let bounds = boundsCache.get(o)
  if (bounds === undefined) {
    bounds = computeBounds(o)
    boundsCache.set(o, bounds)
  }
  return bounds
}

function computeBounds(o: CanvasObject): Bounds {
  const box = localBox(o)
  const angle = ((o.rotation ?? 0) * Math.PI) / 180
  const ox = o.x ?? 0
  const oy = o.y ?? 0
  if (angle === 0) return { x: ox + box.x, y: oy + box.y, width: box.width, height: box.height }
  const cos = Math.cos(angle)
  const sin = Math.sin(angle)
  const corners: Point[] = [
    { x: box.x, y: box.y },
    { x: box.x + box.width, y: box.y },
    { x: box.x, y: box.y + box.height },
    { x: box.x + box.width, y: box.y + box.height },
  ].map((p) => ({ x: ox + p.x * cos - p.y * sin, y: oy + p.x * sin + p.y * cos }))
  return boundsOfPoints(corners)
}

export function pointsBounds(points: readonly number[]): Bounds {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i] ?? 0
    const y = points[i + 1] ?? 0
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  }
  if (minX === Infinity) return { x: 0, y: 0, width: 0, height: 0 }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY }
}

function boundsOfPoints(points: readonly Point[]): Bounds {
  return pointsBounds(points.flatMap((p) => [p.x, p.y]))
}

export function unionBounds(all: Iterable<Bounds>): Bounds | undefined {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const b of all) {
    minX = Math.min(minX, b.x)
    minY = Math.min(minY, b.y)
    maxX = Math.max(maxX, b.x + b.width)
    maxY = Math.max(maxY, b.y + b.height)
  }
  if (minX === Infinity) return undefined
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY }
}

export function contains(outer: Bounds, inner: Bounds): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  )
}

export function intersects(a: Bounds, b: Bounds): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height
}

export function rectFromPoints(a: Point, b: Point): Bounds {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    width: Math.abs(a.x - b.x),
    height: Math.abs(a.y - b.y),
  }
}

// The protocol's bounds (src/protocol/objectSchemas.ts PROP_RANGES), repeated here so the
// bundle does not pull in the schema library.
export const FONT_SIZE_RANGE = { min: 1, max: 1_000 } as const
export const STROKE_WIDTH_RANGE = { min: 0, max: 1_000 } as const

export function clampFontSize(size: number): number {
  return Math.min(FONT_SIZE_RANGE.max, Math.max(FONT_SIZE_RANGE.min, size))
}

/** Two decimals are plenty for positions and keep frames small. */
export function round(n: number): number {
  return Math.round(n * 100) / 100
}

/** Draw order: zIndex, then the engine's order (creation) for ties; Array.prototype.sort is stable. */
export function sortByZ(objects: Iterable<CanvasObject>): CanvasObject[] {
  return [...objects].sort((a, b) => (a.zIndex ?? 0) - (b.zIndex ?? 0))
}

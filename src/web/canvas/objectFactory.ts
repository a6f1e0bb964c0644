import type { CanvasObject, NewObject } from '../../protocol/objects.js'
import { DEFAULT_FONT_FAMILY, pointsBounds, rectFromPoints, round, TEXT_LINE_HEIGHT } from './geometry.js'
import type { StyleDefaults, Tool } from './tools.js'
import type { Point } from './viewport.js'

/** Size of a shape made by a click without a drag. */
export const CLICK_SIZE = { width: 160, height: 100 }
/** New text starts this wide and grows to fit its longest line. */
const TEXT_WIDTH = 40

export function newId(): string {
  // UUIDs fit the protocol's id pattern ([A-Za-z0-9_-]{1,64}).
  return crypto.randomUUID()
}

/** The object a drag from `start` to `end` makes with a shape tool; `dragged` false for a plain click. */
export function shapeFromDrag(
  tool: Exclude<Tool, 'select' | 'pen' | 'text'>,
  start: Point,
  end: Point,
  dragged: boolean,
  style: StyleDefaults,
  zIndex: number,
): NewObject {
  const common = { id: newId(), rotation: 0, opacity: style.opacity, zIndex }
  if (tool === 'line' || tool === 'arrow') {
    const to = dragged ? end : { x: start.x + CLICK_SIZE.width, y: start.y }
    const dx = round(to.x - start.x)
    const dy = round(to.y - start.y)
    return {
      ...common,
      type: tool,
      x: round(start.x),
      y: round(start.y),
      width: Math.abs(dx),
      height: Math.abs(dy),
      points: [0, 0, dx, dy],
      stroke: style.stroke,
      fill: style.stroke,
      strokeWidth: Math.max(1, style.strokeWidth),
    }
  }
  const box = dragged
    ? rectFromPoints(start, end)
    : { x: start.x - CLICK_SIZE.width / 2, y: start.y - CLICK_SIZE.height / 2, ...CLICK_SIZE }
  return {
    ...common,
    type: tool,
    x: round(box.x),
    y: round(box.y),
    width: round(Math.max(1, box.width)),
    height: round(Math.max(1, box.height)),
    fill: style.fill,
    stroke: style.stroke,
    strokeWidth: style.strokeWidth,
  }
}

export function textAt(point: Point, style: StyleDefaults, zIndex: number): NewObject {
  return {
    id: newId(),
    type: 'text',
    x: round(point.x),
    y: round(point.y - style.fontSize * TEXT_LINE_HEIGHT * 0.5),
    width: TEXT_WIDTH,
    height: round(style.fontSize * TEXT_LINE_HEIGHT),
    rotation: 0,
    text: '',
    fontSize: style.fontSize,
    fontFamily: DEFAULT_FONT_FAMILY,
    align: 'left',
    fill: style.stroke,
    opacity: style.opacity,
    zIndex,
  }
}

/** A freehand path from world points [x1, y1, x2, y2, …]: positioned at its top-left corner. */
export function pathFromPoints(points: readonly number[], style: StyleDefaults, zIndex: number): NewObject {
  const b = pointsBounds(points)
  const relative = points.map((v, i) => round(i % 2 === 0 ? v - b.x : v - b.y))
  return {
    id: newId(),
    type: 'path',
    x: round(b.x),
    y: round(b.y),
    width: round(b.width),
    height: round(b.height),
    rotation: 0,
    points: relative,
    stroke: style.stroke,
    strokeWidth: Math.max(1, style.strokeWidth),
    opacity: style.opacity,
    zIndex,
  }
}

/** Drops points closer than `minDistance` to the last kept one: fewer bytes, the same line. */
export function appendPoint(points: number[], p: Point, minDistance: number): boolean {
  const n = points.length
  if (n >= 2) {
    const dx = p.x - (points[n - 2] ?? 0)
    const dy = p.y - (points[n - 1] ?? 0)
    if (dx * dx + dy * dy < minDistance * minDistance) return false
  }
  points.push(p.x, p.y)
  return true
}

/** A copy with a fresh id, shifted by `offset`, for duplicate and paste. */
export function cloneObject(o: CanvasObject, offset: Point, zIndex: number): NewObject {
  const { createdBy: _createdBy, updatedAt: _updatedAt, version: _version, ...props } = o
  return { ...props, id: newId(), x: round((o.x ?? 0) + offset.x), y: round((o.y ?? 0) + offset.y), zIndex }
}

export function maxZ(objects: Iterable<CanvasObject>): number {
  let max = 0
  for (const o of objects) max = Math.max(max, o.zIndex ?? 0)
  return max
}

/** Shift while drawing: squares and circles, lines at 45° steps. */
export function constrain(
  tool: 'rect' | 'ellipse' | 'line' | 'arrow',
  start: Point,
  end: Point,
  shift: boolean,
): Point {
  if (!shift) return end
  const dx = end.x - start.x
  const dy = end.y - start.y
  if (tool === 'rect' || tool === 'ellipse') {
    const size = Math.max(Math.abs(dx), Math.abs(dy))
    return { x: start.x + Math.sign(dx || 1) * size, y: start.y + Math.sign(dy || 1) * size }
  }
  const angle = Math.round(Math.atan2(dy, dx) / (Math.PI / 4)) * (Math.PI / 4)
  const length = Math.hypot(dx, dy)
  return { x: start.x + Math.cos(angle) * length, y: start.y + Math.sin(angle) * length }
}

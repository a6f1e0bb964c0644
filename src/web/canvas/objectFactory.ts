import type { CanvasObject, NewObject } from '../../protocol/objects.js'
import { DEFAULT_FONT_FAMILY, pointsBounds, rectFromPoints, round, TEXT_LINE_HEIGHT } from './geometry.js'
import { FRAME_STYLE } from './frames.js'
import type { StyleDefaults } from './tools.js'
import type { Point } from './viewport.js'

/** Size of a shape made by a click without a drag. */
export const CLICK_SIZE = { width: 160, height: 100 }
/** New text starts this wide and grows to fit its longest line. */
const TEXT_WIDTH = 40

export function newId(): string {
  // UUIDs fit the protocol's id pattern ([A-Za-z0-9_-]{1,64}).
  return crypto.randomUUID()
}

/** Tools that draw by dragging a box or a line. */
export type DragTool = 'rect' | 'ellipse' | 'line' | 'arrow' | 'frame'

/** A frame made by a click, without a drag [ED-S4]. */
const FRAME_CLICK_SIZE = { width: 320, height: 240 }

/** The object a drag from `start` to `end` makes with a shape tool; `dragged` false for a plain click. */
export function shapeFromDrag(
  tool: DragTool,
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
  const clickSize = tool === 'frame' ? FRAME_CLICK_SIZE : CLICK_SIZE
  const box = dragged
    ? rectFromPoints(start, end)
    : { x: start.x - clickSize.width / 2, y: start.y - clickSize.height / 2, ...clickSize }
  const frameStyle = tool === 'frame' ? { ...FRAME_STYLE, strokeWidth: 1 } : {}
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
    ...frameStyle,
  }
}

/** A sticky note [ED-S7]: a square rectangle in note yellow, no outline, words inside. */
export const STICKY_NOTE = { size: 200, fill: '#ffe588', fontSize: 20, name: 'Sticky note' } as const

/** A new sticky note centred on `point`, ready to type into. */
export function stickyAt(point: Point, zIndex: number): NewObject {
  return {
    id: newId(),
    type: 'rect',
    name: STICKY_NOTE.name,
    x: round(point.x - STICKY_NOTE.size / 2),
    y: round(point.y - STICKY_NOTE.size / 2),
    width: STICKY_NOTE.size,
    height: STICKY_NOTE.size,
    rotation: 0,
    fill: STICKY_NOTE.fill,
    stroke: STICKY_NOTE.fill,
    strokeWidth: 0,
    opacity: 1,
    text: '',
    fontSize: STICKY_NOTE.fontSize,
    align: 'center',
    zIndex,
  }
}

/** Whether a new object opens for typing at once: a text box or a sticky note. */
export function typesOnCreate(o: NewObject): boolean {
  return o.type === 'text' || (o.type === 'rect' && o.name === STICKY_NOTE.name && (o.text ?? '') === '')
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
export function constrain(tool: DragTool, start: Point, end: Point, shift: boolean): Point {
  if (!shift) return end
  const dx = end.x - start.x
  const dy = end.y - start.y
  if (tool === 'rect' || tool === 'ellipse' || tool === 'frame') {
    const size = Math.max(Math.abs(dx), Math.abs(dy))
    return { x: start.x + Math.sign(dx || 1) * size, y: start.y + Math.sign(dy || 1) * size }
  }
  const angle = Math.round(Math.atan2(dy, dx) / (Math.PI / 4)) * (Math.PI / 4)
  const length = Math.hypot(dx, dy)
  return { x: start.x + Math.cos(angle) * length, y: start.y + Math.sin(angle) * length }
}

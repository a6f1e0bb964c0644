import Konva from 'konva'
import type { CanvasObject, ObjectChanges } from '../../protocol/objects.js'
import { clampFontSize, isPointBased, pointsBounds, round } from './geometry.js'
import { measureTextHeight } from './measureText.js'

/**
 * Turns the Transformer's scale into sizes (and points, and font size) and resets the scale, so
 * stored objects never carry a scale and strokes keep their width.
 */
export function bakeTransform(node: Konva.Node, o: CanvasObject): ObjectChanges {
  const sx = node.scaleX()
  const sy = node.scaleY()
  node.scale({ x: 1, y: 1 })
  const changes: ObjectChanges = { x: round(node.x()), y: round(node.y()), rotation: round(node.rotation()) }
  if (isPointBased(o.type) && node instanceof Konva.Line) {
    const points = (o.points ?? []).map((v, i) => round(i % 2 === 0 ? v * sx : v * sy))
    node.points(points)
    const b = pointsBounds(points)
    return { ...changes, points, width: round(b.width), height: round(b.height) }
  }
  if (o.type === 'text' && node instanceof Konva.Text) {
    const width = round(Math.max(20, node.width() * sx))
    const cornerDrag = Math.abs(sy - 1) > 0.001
    const fontSize = cornerDrag ? clampFontSize(round((o.fontSize ?? 24) * sy)) : (o.fontSize ?? 24)
    node.setAttrs({ width, fontSize })
    const next = { ...o, width, fontSize }
    return { ...changes, width, fontSize, height: measureTextHeight(next, o.text ?? '') }
  }
  const width = round(Math.max(1, node.width() * sx))
  const height = round(Math.max(1, node.height() * sy))
  node.setAttrs({ width, height })
  return { ...changes, width, height }
}

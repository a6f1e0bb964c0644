import Konva from 'konva'
import type { CanvasObject, NewObject } from '../../protocol/objects.js'

/**
 * Clipping a frame's children to it on the canvas [ED-S4]. Each child stays its own node on its
 * layer (so moving, transforming and previews work as for any shape); it clips its own drawing to
 * where its frame's node is now, so the clip follows the frame through a drag. A child that moved
 * on its own (dragged towards the way out, by me or in someone's preview) is drawn whole until
 * it lands: you see what you carry.
 */

type Context = Konva.Context
type SceneFunc = (context: Context, shape: Konva.Shape) => void

const frameNodes = new WeakMap<Konva.Stage, Map<string, Konva.Node>>()

/** The frame's node on the same stage (found once, again only when it was re-created). */
function frameNodeOf(node: Konva.Node, frameId: string): Konva.Node | undefined {
  const stage = node.getStage()
  if (!stage) return undefined
  let nodes = frameNodes.get(stage)
  if (!nodes) frameNodes.set(stage, (nodes = new Map<string, Konva.Node>()))
  const cached = nodes.get(frameId)
  if (cached && cached.getStage() === stage && cached.id() === frameId) return cached
  const found = stage.findOne(`#${frameId}`)
  if (found) nodes.set(frameId, found)
  else nodes.delete(frameId)
  return found
}

/**
 * Traces the frame's box in `node`'s own coordinates onto `context`; false (nothing traced) when
 * the child is not where its frame holds it.
 */
function traceFrame(context: Context, node: Konva.Node, child: NewObject, frame: CanvasObject): boolean {
  const frameNode = frameNodeOf(node, frame.id)
  if (!frameNode) return false
  const slack = 0.5
  if (
    Math.abs(node.x() - frameNode.x() - ((child.x ?? 0) - (frame.x ?? 0))) > slack ||
    Math.abs(node.y() - frameNode.y() - ((child.y ?? 0) - (frame.y ?? 0))) > slack
  )
    return false
  const toLocal = node.getTransform().copy().invert().multiply(frameNode.getTransform())
  const w = frameNode.width()
  const h = frameNode.height()
  const corners = [
    { x: 0, y: 0 },
    { x: w, y: 0 },
    { x: w, y: h },
    { x: 0, y: h },
  ].map((p) => toLocal.point(p))
  context.beginPath()
  corners.forEach((p, i) => (i === 0 ? context.moveTo(p.x, p.y) : context.lineTo(p.x, p.y)))
  context.closePath()
  return true
}

/** A shape's drawing, clipped to its frame. `draw` is its usual scene function. */
export function clippedSceneFunc(child: NewObject, frame: CanvasObject, draw: SceneFunc): SceneFunc {
  return (context, shape) => {
    context.save()
    if (traceFrame(context, shape, child, frame)) context.clip()
    draw(context, shape)
    context.restore()
  }
}

/** The scene function a Konva class draws with, to wrap. */
export function ownSceneFunc(kind: { prototype: { _sceneFunc: (context: never) => void } }): SceneFunc {
  const draw = kind.prototype._sceneFunc as (this: Konva.Shape, context: Context) => void
  return (context, shape) => draw.call(shape, context)
}

/** A group's clip function (a shape with words inside): Konva clips to the path it traces. */
export function groupClipFunc(
  child: NewObject,
  frame: CanvasObject,
): (context: Context, group: Konva.Container) => void {
  return (context, group) => {
    if (!traceFrame(context, group, child, frame)) context.rect(-1e9, -1e9, 2e9, 2e9)
  }
}

import Konva from 'konva'
import { memo, useEffect, useRef, useState } from 'react'
import { Layer, Line, Rect, Stage, Transformer } from 'react-konva'
import {
  OBJECT_LIMITS,
  type CanvasObject,
  type NewObject,
  type ObjectChanges,
} from '../../protocol/objects.js'
import {
  clampFontSize,
  intersects,
  isPointBased,
  objectBounds,
  pointsBounds,
  rectFromPoints,
  round,
} from './geometry.js'
import { measureTextHeight } from './measureText.js'
import { appendPoint, pathFromPoints, shapeFromDrag, textAt } from './objectFactory.js'
import { OBJECT_NODE_NAME, ShapeNode } from './ShapeNode.js'
import type { StyleDefaults, Tool } from './tools.js'
import { screenToWorld, zoomAt, type Bounds, type Point, type Viewport } from './viewport.js'

/** What the stage asks of the editor; stable for the editor's lifetime. */
export interface StageActions {
  setViewport: (update: (v: Viewport) => Viewport) => void
  select: (ids: readonly string[]) => void
  create: (object: NewObject) => void
  /** Several objects' changes as one step (one undo). */
  updateMany: (changes: ReadonlyArray<readonly [string, ObjectChanges]>) => void
  moveCursor: (at: Point) => void
  editText: (id: string | undefined) => void
  setTool: (tool: Tool) => void
}

interface Props {
  width: number
  height: number
  objects: ReadonlyMap<string, CanvasObject>
  /** `objects` in draw order. */
  sorted: readonly CanvasObject[]
  selection: ReadonlySet<string>
  tool: Tool
  canEdit: boolean
  /** Space is held: a drag pans whatever the tool. */
  panMode: boolean
  viewport: Viewport
  style: StyleDefaults
  editingTextId: string | undefined
  actions: StageActions
}

type Gesture =
  | { kind: 'none' }
  | { kind: 'pan'; from: Point; start: Viewport }
  | { kind: 'marquee'; start: Point; base: readonly string[]; last: string }
  | {
      kind: 'draw'
      tool: 'rect' | 'ellipse' | 'line' | 'arrow'
      start: Point
      startScreen: Point
      dragged: boolean
    }
  | { kind: 'pen'; points: number[] }
  | { kind: 'text'; at: Point }

/** A press that moves less than this (screen px) is a click. */
const CLICK_SLOP_PX = 3
const ACCENT = '#3e63dd'

/**
 * The Konva stage: one layer of objects (memoised shapes keyed by id), one layer of editing
 * chrome (transformer, marquee, drafts). Remote cursors are a DOM overlay above it.
 */
export function CanvasStage(props: Props) {
  const { width, height, sorted, selection, tool, canEdit, panMode, viewport, editingTextId } = props
  const latest = useRef(props)
  latest.current = props
  const gesture = useRef<Gesture>({ kind: 'none' })
  const shapesLayer = useRef<Konva.Layer>(null)
  const transformer = useRef<Konva.Transformer>(null)
  const penLine = useRef<Konva.Line>(null)
  const dragCommitted = useRef(new Set<string>())
  const [draft, setDraft] = useState<NewObject | undefined>()
  const [marquee, setMarquee] = useState<Bounds | undefined>()
  const [busy, setBusy] = useState(false)

  const selecting = tool === 'select' && !panMode
  const objectsInteractive = canEdit && selecting
  const showTransformer = canEdit && selecting && !busy && editingTextId === undefined

  useEffect(() => {
    const tr = transformer.current
    const layer = shapesLayer.current
    if (!tr || !layer) return
    tr.nodes(showTransformer ? layer.getChildren((n) => selection.has(n.id())) : [])
    const only = tr.nodes().length === 1 ? tr.nodes()[0] : undefined
    // Text resizes by width (it wraps) or by corners (font size); no top/bottom-middle squash.
    tr.enabledAnchors(
      only instanceof Konva.Text
        ? ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'middle-left', 'middle-right']
        : [
            'top-left',
            'top-center',
            'top-right',
            'middle-left',
            'middle-right',
            'bottom-left',
            'bottom-center',
            'bottom-right',
          ],
    )
    tr.getLayer()?.batchDraw()
  }, [selection, sorted, showTransformer])

  const pointerOf = (stage: Konva.Stage): Point | undefined => stage.getPointerPosition() ?? undefined
  const topZ = () => {
    const list = latest.current.sorted
    return (list[list.length - 1]?.zIndex ?? 0) + 1
  }

  const onPointerDown = (e: Konva.KonvaEventObject<PointerEvent>) => {
    const stage = e.target.getStage()
    const pointer = stage && pointerOf(stage)
    if (!stage || !pointer || gesture.current.kind !== 'none') return
    const p = latest.current
    const evt = e.evt
    const world = screenToWorld(p.viewport, pointer)
    const capture = () => stage.content.setPointerCapture(evt.pointerId)

    // Middle button, space+drag, or a viewer dragging the background: pan.
    const onBackground = e.target === stage
    if (evt.button === 1 || (evt.button === 0 && (p.panMode || (!p.canEdit && onBackground)))) {
      evt.preventDefault()
      gesture.current = { kind: 'pan', from: pointer, start: p.viewport }
      setBusy(true)
      capture()
      return
    }
    if (evt.button !== 0 || !p.canEdit) return

    switch (p.tool) {
      case 'select': {
        if (e.target.getParent() instanceof Konva.Transformer) return
        if (e.target.name() === OBJECT_NODE_NAME) {
          const id = e.target.id()
          if (evt.shiftKey) {
            p.actions.select(
              p.selection.has(id) ? [...p.selection].filter((s) => s !== id) : [...p.selection, id],
            )
          } else if (!p.selection.has(id)) {
            p.actions.select([id])
          }
          return
        }
        const base = evt.shiftKey ? [...p.selection] : []
        if (!evt.shiftKey) p.actions.select([])
        gesture.current = { kind: 'marquee', start: world, base, last: base.join() }
        setMarquee({ ...world, width: 0, height: 0 })
        setBusy(true)
        capture()
        return
      }
      case 'text':
        // Placed on release: the press's default action moves focus, which would close the editor.
        gesture.current = { kind: 'text', at: world }
        return
      case 'pen': {
        gesture.current = { kind: 'pen', points: [world.x, world.y] }
        const line = penLine.current
        line?.setAttrs({
          points: [world.x, world.y, world.x, world.y],
          stroke: p.style.stroke,
          strokeWidth: Math.max(1, p.style.strokeWidth),
          opacity: p.style.opacity,
          visible: true,
        })
        line?.getLayer()?.batchDraw()
        setBusy(true)
        capture()
        return
      }
      case 'rect':
      case 'ellipse':
      case 'line':
      case 'arrow':
        gesture.current = { kind: 'draw', tool: p.tool, start: world, startScreen: pointer, dragged: false }
        setBusy(true)
        capture()
        return
    }
  }

  const onPointerMove = (e: Konva.KonvaEventObject<PointerEvent>) => {
    const stage = e.target.getStage()
    const pointer = stage && pointerOf(stage)
    if (!pointer) return
    const p = latest.current
    const world = screenToWorld(p.viewport, pointer)
    p.actions.moveCursor(world)
    const g = gesture.current
    switch (g.kind) {
      case 'none':
      case 'text':
        return
      case 'pan':
        p.actions.setViewport(() => ({
          ...g.start,
          x: g.start.x + pointer.x - g.from.x,
          y: g.start.y + pointer.y - g.from.y,
        }))
        return
      case 'marquee': {
        const box = rectFromPoints(g.start, world)
        setMarquee(box)
        const hits = new Set(g.base)
        for (const o of p.sorted) if (intersects(box, objectBounds(o))) hits.add(o.id)
        const key = [...hits].join()
        if (key !== g.last) {
          g.last = key
          p.actions.select([...hits])
        }
        return
      }
      case 'draw': {
        if (
          !g.dragged &&
          Math.hypot(pointer.x - g.startScreen.x, pointer.y - g.startScreen.y) < CLICK_SLOP_PX
        )
          return
        g.dragged = true
        setDraft(
          shapeFromDrag(g.tool, g.start, constrain(g.tool, g.start, world, e.evt.shiftKey), true, p.style, 0),
        )
        return
      }
      case 'pen': {
        if (g.points.length >= OBJECT_LIMITS.points - 2) return
        if (appendPoint(g.points, world, 1.5 / p.viewport.scale)) {
          penLine.current?.points(g.points.length === 2 ? [...g.points, ...g.points] : g.points)
          penLine.current?.getLayer()?.batchDraw()
        }
        return
      }
    }
  }

  const endGesture = (e: Konva.KonvaEventObject<PointerEvent>, cancelled: boolean) => {
    const g = gesture.current
    if (g.kind === 'none') return
    gesture.current = { kind: 'none' }
    setBusy(false)
    const stage = e.target.getStage()
    if (stage?.content.hasPointerCapture(e.evt.pointerId))
      stage.content.releasePointerCapture(e.evt.pointerId)
    const p = latest.current
    switch (g.kind) {
      case 'pan':
        return
      case 'marquee':
        setMarquee(undefined)
        return
      case 'text': {
        if (cancelled) return
        const object = textAt(g.at, p.style, topZ())
        p.actions.create(object)
        p.actions.select([object.id])
        p.actions.setTool('select')
        p.actions.editText(object.id)
        return
      }
      case 'draw': {
        setDraft(undefined)
        if (cancelled) return
        const pointer = stage && pointerOf(stage)
        const end = pointer ? screenToWorld(p.viewport, pointer) : g.start
        const object = shapeFromDrag(
          g.tool,
          g.start,
          constrain(g.tool, g.start, end, e.evt.shiftKey),
          g.dragged,
          p.style,
          topZ(),
        )
        p.actions.create(object)
        p.actions.select([object.id])
        p.actions.setTool('select')
        return
      }
      case 'pen': {
        penLine.current?.visible(false)
        penLine.current?.getLayer()?.batchDraw()
        if (cancelled) return
        // A dot is a path of one point drawn twice: round caps make it visible.
        const points = g.points.length === 2 ? [...g.points, ...g.points] : g.points
        p.actions.create(pathFromPoints(points, p.style, topZ()))
        return
      }
    }
  }

  const onWheel = (e: Konva.KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault()
    const stage = e.target.getStage()
    const pointer = stage && pointerOf(stage)
    if (!pointer) return
    const { deltaX, deltaY, deltaMode, ctrlKey, metaKey, shiftKey } = e.evt
    const lines = deltaMode === 1 ? 16 : 1
    if (ctrlKey || metaKey) {
      // Trackpad pinches arrive as ctrl+wheel with small deltas; mouse wheels with ±100.
      const factor = Math.exp((-deltaY * lines) / 400)
      latest.current.actions.setViewport((v) => zoomAt(v, pointer, v.scale * factor))
      return
    }
    const dx = (shiftKey && deltaX === 0 ? deltaY : deltaX) * lines
    const dy = (shiftKey && deltaX === 0 ? 0 : deltaY) * lines
    latest.current.actions.setViewport((v) => ({ ...v, x: v.x - dx, y: v.y - dy }))
  }

  const onDblClick = (e: Konva.KonvaEventObject<MouseEvent>) => {
    const p = latest.current
    if (!p.canEdit || p.tool !== 'select') return
    if (e.target instanceof Konva.Text && e.target.name() === OBJECT_NODE_NAME) {
      p.actions.select([e.target.id()])
      p.actions.editText(e.target.id())
    }
  }

  const onDragEnd = (e: Konva.KonvaEventObject<DragEvent>) => {
    const node = e.target
    if (node.name() !== OBJECT_NODE_NAME) return
    // The Transformer drags every selected node with the one under the pointer, and each fires
    // dragend: commit them all in one step on the first, skip the rest.
    if (dragCommitted.current.delete(node.id())) return
    const tr = transformer.current
    const nodes = tr?.nodes().includes(node) ? tr.nodes() : [node]
    const changes = nodes.map((n) => [n.id(), { x: round(n.x()), y: round(n.y()) }] as const)
    dragCommitted.current = new Set(nodes.filter((n) => n !== node).map((n) => n.id()))
    latest.current.actions.updateMany(changes)
  }

  const onTransformEnd = () => {
    const p = latest.current
    const nodes = transformer.current?.nodes() ?? []
    const changes: (readonly [string, ObjectChanges])[] = []
    for (const node of nodes) {
      const object = p.objects.get(node.id())
      if (object) changes.push([object.id, bakeTransform(node, object)])
    }
    p.actions.updateMany(changes)
  }

  const setHoverCursor = (e: Konva.KonvaEventObject<MouseEvent>, over: boolean) => {
    const container = e.target.getStage()?.container()
    if (container && e.target.name() === OBJECT_NODE_NAME) container.style.cursor = over ? 'move' : ''
  }

  return (
    <Stage
      width={width}
      height={height}
      x={viewport.x}
      y={viewport.y}
      scaleX={viewport.scale}
      scaleY={viewport.scale}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={(e) => endGesture(e, false)}
      onPointerCancel={(e) => endGesture(e, true)}
      onWheel={onWheel}
      onDblClick={onDblClick}
      onContextMenu={(e) => e.evt.preventDefault()}
    >
      <Layer
        ref={shapesLayer}
        listening={objectsInteractive}
        onDragEnd={onDragEnd}
        onMouseOver={(e) => setHoverCursor(e, true)}
        onMouseOut={(e) => setHoverCursor(e, false)}
      >
        <ShapeList sorted={sorted} draggable={objectsInteractive} editingTextId={editingTextId} />
      </Layer>
      <Layer>
        {draft && <ShapeNode object={draft} draggable={false} hidden={false} />}
        <Line
          ref={penLine}
          visible={false}
          listening={false}
          lineCap="round"
          lineJoin="round"
          tension={0.4}
        />
        {marquee && (
          <Rect
            {...marquee}
            listening={false}
            fill="rgba(62, 99, 221, 0.08)"
            stroke={ACCENT}
            strokeWidth={1 / viewport.scale}
          />
        )}
        <Transformer
          ref={transformer}
          onTransformEnd={onTransformEnd}
          flipEnabled={false}
          keepRatio={false}
          rotationSnaps={[0, 45, 90, 135, 180, 225, 270, 315]}
          rotationSnapTolerance={4}
          anchorSize={9}
          anchorCornerRadius={2}
          anchorStroke={ACCENT}
          anchorFill="#ffffff"
          borderStroke={ACCENT}
          rotateAnchorOffset={28}
          padding={2}
          boundBoxFunc={(oldBox, newBox) =>
            Math.abs(newBox.width) < 4 || Math.abs(newBox.height) < 4 ? oldBox : newBox
          }
        />
      </Layer>
    </Stage>
  )
}

interface ShapeListProps {
  sorted: readonly CanvasObject[]
  draggable: boolean
  editingTextId: string | undefined
}

/** Re-renders only when the objects, the tool's interactivity or the edited text change, not on pan or zoom. */
const ShapeList = memo(function ShapeList({ sorted, draggable, editingTextId }: ShapeListProps) {
  return sorted.map((o) => (
    <ShapeNode key={o.id} object={o} draggable={draggable} hidden={o.id === editingTextId} />
  ))
})

/** Shift while drawing: squares and circles, lines at 45° steps. */
function constrain(
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

/**
 * Turns the Transformer's scale into sizes (and points, and font size) and resets the scale, so
 * stored objects never carry a scale and strokes keep their width.
 */
function bakeTransform(node: Konva.Node, o: CanvasObject): ObjectChanges {
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

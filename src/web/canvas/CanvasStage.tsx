import Konva from 'konva'
import { memo, useEffect, useMemo, useRef, useState } from 'react'
import { Group, Layer, Line, Rect, Stage, Transformer } from 'react-konva'
import {
  OBJECT_LIMITS,
  type CanvasObject,
  type NewObject,
  type ObjectChanges,
} from '../../protocol/objects.js'
import {
  clampFontSize,
  contains,
  intersects,
  isPointBased,
  objectBounds,
  pointsBounds,
  rectFromPoints,
  round,
} from './geometry.js'
import { measureTextHeight } from './measureText.js'
import { appendPoint, pathFromPoints, shapeFromDrag, textAt } from './objectFactory.js'
import { hitTest } from './hitTest.js'
import { ShapeNode } from './ShapeNode.js'
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
  | {
      kind: 'move'
      from: Point
      fromScreen: Point
      nodes: { node: Konva.Node; x: number; y: number }[]
      moved: boolean
    }

/** A press that moves less than this (screen px) is a click. */
const CLICK_SLOP_PX = 3
/** How near (screen px) a press must be to a thin line to pick it. */
const HIT_TOLERANCE_PX = 5
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
  const objectLayers = useRef<(Konva.Layer | null)[]>([])
  const renderWindow = useRenderWindow(viewport, width, height)
  // Culling: only objects near the view get Konva nodes; the selection and the edited text always
  // do, so moving or transforming them works wherever they are.
  const rendered = useMemo(
    () =>
      sorted.filter(
        (o) => selection.has(o.id) || o.id === editingTextId || intersects(renderWindow, objectBounds(o)),
      ),
    [sorted, selection, editingTextId, renderWindow],
  )
  const chunks = useStableChunks(rendered)
  /** The Konva nodes of these objects, across the object layers. */
  const nodesOf = (ids: ReadonlySet<string>): Konva.Node[] =>
    ids.size === 0
      ? []
      : objectLayers.current.flatMap((layer) => layer?.getChildren((n) => ids.has(n.id())) ?? [])
  const redrawObjects = () => objectLayers.current.forEach((layer) => layer?.batchDraw())
  const transformer = useRef<Konva.Transformer>(null)
  const penLine = useRef<Konva.Line>(null)
  const [draft, setDraft] = useState<NewObject | undefined>()
  const [marquee, setMarquee] = useState<Bounds | undefined>()
  const [busy, setBusy] = useState(false)

  const selecting = tool === 'select' && !panMode
  const showTransformer = canEdit && selecting && !busy && editingTextId === undefined

  // On chunks, not only the selection: a node moves to another layer (a new node) when the view
  // or the draw order changes, and the Transformer must hold the live one.
  useEffect(() => {
    const tr = transformer.current
    if (!tr) return
    tr.nodes(showTransformer ? nodesOf(selection) : [])
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
  }, [selection, chunks, showTransformer])

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
        const hit = hitTest(p.sorted, world, HIT_TOLERANCE_PX / p.viewport.scale)
        if (hit) {
          let selection = p.selection
          if (evt.shiftKey) {
            const toggled = new Set(p.selection)
            if (!toggled.delete(hit.id)) toggled.add(hit.id)
            selection = toggled
            p.actions.select([...toggled])
          } else if (!selection.has(hit.id)) {
            selection = new Set([hit.id])
            p.actions.select([hit.id])
          }
          if (!selection.has(hit.id)) return
          // Press on a selected object: a drag moves the whole selection.
          const nodes = nodesOf(selection).map((node) => ({
            node,
            x: node.x(),
            y: node.y(),
          }))
          gesture.current = { kind: 'move', from: world, fromScreen: pointer, nodes, moved: false }
          capture()
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
      case 'none': {
        // Hover feedback without Konva's hit canvas: the same data hit test as a press.
        if (!p.canEdit || p.tool !== 'select' || p.panMode || !stage) return
        const over = hitTest(p.sorted, world, HIT_TOLERANCE_PX / p.viewport.scale) !== undefined
        stage.container().style.cursor = over ? 'move' : ''
        return
      }
      case 'text':
        return
      case 'move': {
        if (!g.moved && Math.hypot(pointer.x - g.fromScreen.x, pointer.y - g.fromScreen.y) < CLICK_SLOP_PX)
          return
        g.moved = true
        const dx = world.x - g.from.x
        const dy = world.y - g.from.y
        for (const n of g.nodes) n.node.position({ x: n.x + dx, y: n.y + dy })
        redrawObjects()
        return
      }
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
      case 'move': {
        if (!g.moved) return
        if (cancelled) {
          for (const n of g.nodes) n.node.position({ x: n.x, y: n.y })
          redrawObjects()
          return
        }
        p.actions.updateMany(
          g.nodes.map(({ node }) => [node.id(), { x: round(node.x()), y: round(node.y()) }] as const),
        )
        return
      }
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

  // Wheel on the container in the capture phase, stopped there: Konva would otherwise look up
  // the shape under the pointer (a hit canvas read) on every wheel event.
  const stageRef = useRef<Konva.Stage>(null)
  useEffect(() => {
    const container = stageRef.current?.container()
    if (!container) return
    const onWheel = (evt: WheelEvent) => {
      evt.preventDefault()
      evt.stopPropagation()
      const rect = container.getBoundingClientRect()
      const pointer = { x: evt.clientX - rect.left, y: evt.clientY - rect.top }
      const lines = evt.deltaMode === 1 ? 16 : 1
      const { setViewport } = latest.current.actions
      if (evt.ctrlKey || evt.metaKey) {
        // Trackpad pinches arrive as ctrl+wheel with small deltas; mouse wheels with ±100.
        const factor = Math.exp((-evt.deltaY * lines) / 400)
        setViewport((v) => zoomAt(v, pointer, v.scale * factor))
        return
      }
      const horizontal = evt.shiftKey && evt.deltaX === 0
      const dx = (horizontal ? evt.deltaY : evt.deltaX) * lines
      const dy = (horizontal ? 0 : evt.deltaY) * lines
      setViewport((v) => ({ ...v, x: v.x - dx, y: v.y - dy }))
    }
    container.addEventListener('wheel', onWheel, { capture: true, passive: false })
    return () => container.removeEventListener('wheel', onWheel, { capture: true })
  }, [])

  const onDblClick = (e: Konva.KonvaEventObject<MouseEvent>) => {
    const p = latest.current
    const pointer = e.target.getStage()?.getPointerPosition()
    if (!p.canEdit || p.tool !== 'select' || !pointer) return
    const hit = hitTest(p.sorted, screenToWorld(p.viewport, pointer), HIT_TOLERANCE_PX / p.viewport.scale)
    if (hit?.type === 'text') {
      p.actions.select([hit.id])
      p.actions.editText(hit.id)
    }
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

  return (
    <Stage
      ref={stageRef}
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
      onDblClick={onDblClick}
      onContextMenu={(e) => e.evt.preventDefault()}
    >
      {/* Never listening: picking is hitTest on the data, so no hit canvas is drawn for them. */}
      {chunks.map((chunk, i) => (
        <Layer
          key={i}
          listening={false}
          ref={(layer) => {
            objectLayers.current[i] = layer
          }}
        >
          <ShapeList sorted={chunk} editingTextId={editingTextId} />
        </Layer>
      ))}
      <Layer>
        {draft && (
          <Group listening={false}>
            <ShapeNode object={draft} hidden={false} />
          </Group>
        )}
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

/**
 * The world area whose objects are drawn: three view widths and heights around the view, kept
 * while the view stays inside it, so panning re-renders the object list only now and then.
 */
function useRenderWindow(v: Viewport, width: number, height: number): Bounds {
  const [area, setArea] = useState<Bounds | undefined>()
  const view = { x: -v.x / v.scale, y: -v.y / v.scale, width: width / v.scale, height: height / v.scale }
  const stale =
    area === undefined ||
    !contains(area, view) ||
    area.width * area.height > 16 * Math.max(1, view.width * view.height)
  const next = stale
    ? { x: view.x - view.width, y: view.y - view.height, width: view.width * 3, height: view.height * 3 }
    : area
  useEffect(() => {
    if (next !== area) setArea(next)
  }, [next, area])
  return next
}

/** Objects per layer at least; at most MAX_OBJECT_LAYERS layers (Konva advises 3 to 5 in all). */
const MIN_CHUNK = 500
const MAX_OBJECT_LAYERS = 4

/**
 * The draw order cut into up to four runs, one Konva layer each: a change redraws only its own
 * layer's canvas, a quarter of a big scene. A run whose objects are all unchanged keeps its array,
 * so its ShapeList does not even re-render.
 */
function useStableChunks(sorted: readonly CanvasObject[]): (readonly CanvasObject[])[] {
  const previous = useRef<(readonly CanvasObject[])[]>([])
  return useMemo(() => {
    const size = Math.max(MIN_CHUNK, Math.ceil(sorted.length / MAX_OBJECT_LAYERS))
    const next: (readonly CanvasObject[])[] = []
    for (let start = 0; start === 0 || start < sorted.length; start += size) {
      const chunk = sorted.slice(start, start + size)
      const old = previous.current[next.length]
      next.push(old && old.length === chunk.length && old.every((o, i) => o === chunk[i]) ? old : chunk)
    }
    previous.current = next
    return next
  }, [sorted])
}

interface ShapeListProps {
  sorted: readonly CanvasObject[]
  editingTextId: string | undefined
}

/** Re-renders when the objects or the edited text change, not on pan, zoom or selection. */
const ShapeList = memo(function ShapeList({ sorted, editingTextId }: ShapeListProps) {
  return sorted.map((o) => <ShapeNode key={o.id} object={o} hidden={o.id === editingTextId} />)
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

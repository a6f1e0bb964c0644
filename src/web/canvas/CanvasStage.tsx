// Over 400 lines: one pointer state machine (press, move, release for every tool and gesture) on one
// shared gesture ref; cut across files it would be harder to follow. Helpers live beside it.
import Konva from 'konva'
import { useEffect, useMemo, useRef, useState } from 'react'
import { Group, Layer, Line, Rect, Stage, Transformer } from 'react-konva'
import type { PreviewObject } from '../../protocol/messages.js'
import {
  OBJECT_LIMITS,
  type CanvasObject,
  type NewObject,
  type ObjectChanges,
} from '../../protocol/objects.js'
import { bakeTransform } from './bakeTransform.js'
import { intersects, objectBounds, rectFromPoints, round, unionBounds } from './geometry.js'
import { hitTest } from './hitTest.js'
import { canBind, isConnector, routeConnector } from './connectors.js'
import { hasText } from './shapeText.js'
import { descendantsOf, frameIndex } from './frames.js'
import { pickable } from '../editor/locking.js'
import {
  appendPoint,
  constrain,
  pathFromPoints,
  shapeFromDrag,
  stickyAt,
  textAt,
  type DragTool,
} from './objectFactory.js'
import { SnapGuides } from './SnapGuides.js'
import {
  snapBox,
  snapOptions,
  snapPoint,
  targetsAmong,
  type Guide,
  type SnapSettings,
  type SnapTargets,
} from './snapping.js'
import { useRenderWindow, useStableChunks } from './renderWindow.js'
import { PreviewCopies } from './previewCopies.js'
import { previewedPlaces, previewOf, type PreviewSource, type PreviewsByUser } from './remotePreviews.js'
import { ShapeList, ShapeNode } from './ShapeNode.js'
import type { StyleDefaults, Tool } from './tools.js'
import { useWheelNavigation } from './useWheelNavigation.js'
import { CANVAS_COLORS, type CanvasColors } from '../theme/theme.js'
import { screenToWorld, type Bounds, type Point, type Viewport } from './viewport.js'

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
  /** Where the objects I drag or transform are now, for the others (presence, not stored) [ED-L1]. */
  preview: (objects: readonly PreviewObject[]) => void
  /** My drag or transform is over (committed or cancelled). */
  endPreview: () => void
  /** What picking these ids selects: whole groups [ED-G1]. */
  expand: (ids: readonly string[]) => string[]
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
  /** Other users' drags in progress [ED-L1]. */
  previews: PreviewSource
  actions: StageActions
  /** Snapping to shapes and to the grid while moving and resizing [ED-S2]. */
  snapping: SnapSettings
  /** The theme's selection, marquee and handle colours; light when unset. */
  colors?: CanvasColors
}

type Gesture =
  | { kind: 'none' }
  | { kind: 'pan'; from: Point; start: Viewport }
  | { kind: 'marquee'; start: Point; base: readonly string[]; last: string }
  | {
      kind: 'draw'
      tool: DragTool
      start: Point
      startScreen: Point
      dragged: boolean
    }
  | { kind: 'pen'; points: number[] }
  | { kind: 'text'; at: Point; sticky: boolean }
  | {
      kind: 'move'
      from: Point
      fromScreen: Point
      nodes: { node: Konva.Node; x: number; y: number }[]
      moved: boolean
      /** The selection's box at the press, and the other shapes' lines it snaps to [ED-S2]. */
      box: Bounds | undefined
      targets: SnapTargets
    }

/** A press that moves less than this (screen px) is a click. */
const CLICK_SLOP_PX = 3
/** How near (screen px) a press must be to a thin line to pick it. */
const HIT_TOLERANCE_PX = 5

/**
 * The Konva stage: one layer of objects (memoised shapes keyed by id), one layer of editing
 * chrome (transformer, marquee, drafts). Remote cursors are a DOM overlay above it.
 */
export function CanvasStage(props: Props) {
  const { width, height, sorted, selection, tool, canEdit, panMode, viewport, editingTextId } = props
  const colors = props.colors ?? CANVAS_COLORS.light
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
  const frameIdx = useRef<ReadonlyMap<string, CanvasObject>>(new Map())
  const frames = useMemo(
    () => (frameIdx.current = frameIndex(props.objects, frameIdx.current)),
    [props.objects],
  )
  const [guides, setGuides] = useState<readonly Guide[]>([])
  /** The lines a resize snaps to, from the start of the transform [ED-S2]. */
  const resizeTargets = useRef<SnapTargets | undefined>(undefined)
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
  /** The Transformer is being dragged: its nodes are mine, not a remote preview's. */
  const transforming = useRef(false)
  /**
   * What the last two presses hit: Konva's dblclick fires for any two quick clicks, so a
   * double-click edits only when both landed on the same object [ED-D4].
   */
  const pressHits = useRef<[string | undefined, string | undefined]>([undefined, undefined])
  /** The last press became a drag: a click then a quick drag is no double-click either. */
  const pressDragged = useRef(false)

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

  // Other users' drags: copies on a layer of their own (PreviewCopies), never in the state.
  // Subscribed, not rendered: a preview tick re-renders nothing. Applied once per animation
  // frame, after React has committed what came with it (a drop's commit moves the real node
  // before its copy goes). Re-run on chunks too: React may have re-created a node.
  const editingLayer = useRef<Konva.Layer>(null)
  const previewCopies = useRef<PreviewCopies | undefined>(undefined)
  useEffect(() => {
    const layer = editingLayer.current
    if (!layer) return
    const source = latest.current.previews
    const copies = (previewCopies.current ??= new PreviewCopies(layer))
    let nodes: Map<string, Konva.Node> | undefined
    let shown: PreviewsByUser | undefined
    let frame = 0
    const apply = () => {
      frame = 0
      const previews = source.get()
      if (previews === shown) return
      shown = previews
      const g = gesture.current
      const mine = new Set(g.kind === 'move' ? g.nodes.map((n) => n.node.id()) : [])
      if (transforming.current) for (const node of transformer.current?.nodes() ?? []) mine.add(node.id())
      const places = previewedPlaces(previews, mine)
      if (places.size === 0 && copies.ids.size === 0) return
      // Indexed once per set of nodes (chunks), not searched among thousands per tick.
      nodes ??= new Map(objectLayers.current.flatMap((l) => l?.getChildren() ?? []).map((n) => [n.id(), n]))
      const index = nodes
      for (const dirty of copies.show(places, (id) => index.get(id))) dirty.draw()
    }
    const schedule = () => {
      if (frame === 0 && source.get() !== shown) frame = requestAnimationFrame(apply)
    }
    schedule()
    const unsubscribe = source.subscribe(schedule)
    return () => {
      unsubscribe()
      cancelAnimationFrame(frame)
    }
  }, [chunks])

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
        // Locked objects are drawn but never picked [ED-S3].
        const hit = hitTest(pickable(p.sorted), world, HIT_TOLERANCE_PX / p.viewport.scale)
        pressHits.current = [pressHits.current[1], hit?.id]
        pressDragged.current = false
        if (e.target.getParent() instanceof Konva.Transformer) return
        if (hit) {
          let selection = p.selection
          // Picking one shape of a group picks the group: all of its shapes [ED-G1].
          const unit = p.actions.expand([hit.id])
          if (evt.shiftKey) {
            const toggled = new Set(p.selection)
            const had = toggled.has(hit.id)
            for (const id of unit) {
              if (had) toggled.delete(id)
              else toggled.add(id)
            }
            selection = toggled
            p.actions.select([...toggled])
          } else if (!selection.has(hit.id)) {
            selection = new Set(unit)
            p.actions.select(unit)
          }
          if (!selection.has(hit.id)) return
          // Press on a selected object: a drag moves the whole selection, and selected frames'
          // children with them [ED-S4].
          const moving = new Set([...selection, ...descendantsOf(p.objects, selection)])
          const nodes = nodesOf(moving).map((node) => ({
            node,
            x: node.x(),
            y: node.y(),
          }))
          const box = unionBounds(
            p.sorted.filter((o) => selection.has(o.id) && o.type !== 'group').map(objectBounds),
          )
          const targets = targetsAmong(rendered, moving, p.snapping)
          gesture.current = {
            kind: 'move',
            from: world,
            fromScreen: pointer,
            nodes,
            moved: false,
            box,
            targets,
          }
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
      case 'sticky':
        // Placed on release: the press's default action moves focus, which would close the editor.
        gesture.current = { kind: 'text', at: world, sticky: p.tool === 'sticky' }
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
      case 'frame':
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
        const over = hitTest(pickable(p.sorted), world, HIT_TOLERANCE_PX / p.viewport.scale) !== undefined
        stage.container().style.cursor = over ? 'move' : ''
        return
      }
      case 'text':
        return
      case 'move': {
        if (!g.moved && Math.hypot(pointer.x - g.fromScreen.x, pointer.y - g.fromScreen.y) < CLICK_SLOP_PX)
          return
        g.moved = true
        pressDragged.current = true
        let dx = world.x - g.from.x
        let dy = world.y - g.from.y
        // Snap the selection's box to other shapes and the grid; Alt moves freely [ED-S2].
        const options = snapOptions(p.snapping, p.viewport.scale, e.evt.altKey)
        if (g.box && options) {
          const snap = snapBox({ ...g.box, x: g.box.x + dx, y: g.box.y + dy }, g.targets, options)
          dx += snap.dx
          dy += snap.dy
          setGuides(snap.guides)
        } else setGuides([])
        for (const n of g.nodes) n.node.position({ x: n.x + dx, y: n.y + dy })
        redrawObjects()
        p.actions.preview(g.nodes.map((n) => previewOf(n.node)))
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
        for (const o of p.sorted)
          if (o.type !== 'group' && !o.locked && intersects(box, objectBounds(o))) hits.add(o.id)
        const key = [...hits].join()
        if (key !== g.last) {
          g.last = key
          p.actions.select(p.actions.expand([...hits]))
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
        setGuides([])
        if (!g.moved) return
        if (cancelled) {
          for (const n of g.nodes) n.node.position({ x: n.x, y: n.y })
          redrawObjects()
          p.actions.endPreview()
          return
        }
        p.actions.updateMany(
          g.nodes.map(({ node }) => [node.id(), { x: round(node.x()), y: round(node.y()) }] as const),
        )
        p.actions.endPreview()
        return
      }
      case 'marquee':
        setMarquee(undefined)
        return
      case 'text': {
        if (cancelled) return
        const object = g.sticky ? stickyAt(g.at, topZ()) : textAt(g.at, p.style, topZ())
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
        let object = shapeFromDrag(
          g.tool,
          g.start,
          constrain(g.tool, g.start, end, e.evt.shiftKey),
          g.dragged,
          p.style,
          topZ(),
        )
        // A line or arrow drawn from a shape or to one binds to it and follows it [ED-C1].
        if (isConnector(object) && g.dragged) {
          const tolerance = HIT_TOLERANCE_PX / p.viewport.scale
          const bindable = p.sorted.filter(canBind)
          const startId = hitTest(bindable, g.start, tolerance)?.id ?? null
          const endId = hitTest(bindable, end, tolerance)?.id ?? null
          if ((startId !== null || endId !== null) && startId !== endId) {
            object = { ...object, startId, endId }
            object = { ...object, ...routeConnector(object, (id) => p.objects.get(id)) }
          }
        }
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

  const stageRef = useRef<Konva.Stage>(null)
  useWheelNavigation(stageRef, (update) => latest.current.actions.setViewport(update))

  const onDblClick = (e: Konva.KonvaEventObject<MouseEvent>) => {
    const p = latest.current
    const pointer = e.target.getStage()?.getPointerPosition()
    if (!p.canEdit || p.tool !== 'select' || !pointer) return
    const hit = hitTest(
      pickable(p.sorted),
      screenToWorld(p.viewport, pointer),
      HIT_TOLERANCE_PX / p.viewport.scale,
    )
    const [first, second] = pressHits.current
    if (hit === undefined || first !== hit.id || second !== hit.id || pressDragged.current) return
    if (hasText(hit)) {
      p.actions.select([hit.id])
      p.actions.editText(hit.id)
    }
  }

  const onTransform = () => {
    transforming.current = true
    latest.current.actions.preview((transformer.current?.nodes() ?? []).map(previewOf))
  }

  const onTransformStart = () => {
    const moving = new Set((transformer.current?.nodes() ?? []).map((n) => n.id()))
    resizeTargets.current = targetsAmong(rendered, moving, latest.current.snapping)
  }

  /** A resize handle snaps to other shapes' lines and to the grid; Alt resizes freely [ED-S2]. */
  const snapAnchor = (_old: Point, next: Point, evt: { altKey?: boolean } | undefined): Point => {
    const p = latest.current
    const options = snapOptions(p.snapping, p.viewport.scale, evt?.altKey === true)
    const targets = resizeTargets.current
    if (!options || !targets) return next
    const v = p.viewport
    const snap = snapPoint(screenToWorld(v, next), targets, options)
    setGuides(snap.guides)
    return { x: snap.point.x * v.scale + v.x, y: snap.point.y * v.scale + v.y }
  }

  const onTransformEnd = () => {
    transforming.current = false
    resizeTargets.current = undefined
    setGuides([])
    const p = latest.current
    const nodes = transformer.current?.nodes() ?? []
    const changes: (readonly [string, ObjectChanges])[] = []
    for (const node of nodes) {
      const object = p.objects.get(node.id())
      if (object) changes.push([object.id, bakeTransform(node, object)])
    }
    p.actions.updateMany(changes)
    p.actions.endPreview()
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
          <ShapeList sorted={chunk} editingTextId={editingTextId} frames={frames} />
        </Layer>
      ))}
      {/* Editing chrome, and below it other users' shapes in flight (copies by PreviewCopies). */}
      <Layer ref={editingLayer}>
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
        <SnapGuides guides={guides} scale={viewport.scale} />
        {marquee && (
          <Rect
            {...marquee}
            listening={false}
            fill={colors.marqueeFill}
            stroke={colors.accent}
            strokeWidth={1 / viewport.scale}
          />
        )}
        <Transformer
          ref={transformer}
          onTransformStart={onTransformStart}
          onTransform={onTransform}
          onTransformEnd={onTransformEnd}
          anchorDragBoundFunc={snapAnchor}
          flipEnabled={false}
          keepRatio={false}
          rotationSnaps={[0, 45, 90, 135, 180, 225, 270, 315]}
          rotationSnapTolerance={4}
          anchorSize={9}
          anchorCornerRadius={2}
          anchorStroke={colors.accent}
          anchorFill={colors.anchorFill}
          borderStroke={colors.accent}
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

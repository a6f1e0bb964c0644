import type { CanvasObject, NewObject, ObjectChanges } from '../../protocol/objects.js'
import { contains, objectBounds, round } from './geometry.js'
import type { Point } from './viewport.js'

/**
 * Frames [ED-S4]: named containers. A frame's children point to it with `parentId` (as a group's
 * members do), are drawn clipped to it and move when it moves. A shape dropped with its centre
 * inside a frame becomes its child; dragged out, it leaves. Frames are top-level: a frame is
 * never adopted by another. Pure: the editor adds these changes to the step that caused them.
 */

export type ObjectsById = ReadonlyMap<string, CanvasObject>
type Change = readonly [string, ObjectChanges]

export const FRAME_STYLE = { fill: '#ffffff', stroke: '#b9bbc6' } as const

export function isFrame(o: Pick<NewObject, 'type'> | undefined): boolean {
  return o?.type === 'frame'
}

/** parent id → direct children (any parent type). */
function childrenByParent(objects: ObjectsById): Map<string, CanvasObject[]> {
  const children = new Map<string, CanvasObject[]>()
  for (const o of objects.values()) {
    if (o.parentId == null) continue
    const list = children.get(o.parentId)
    if (list) list.push(o)
    else children.set(o.parentId, [o])
  }
  return children
}

/** Everything under `ids` through frames and groups, `ids` themselves excluded. */
export function descendantsOf(objects: ObjectsById, ids: Iterable<string>): Set<string> {
  const children = childrenByParent(objects)
  const out = new Set<string>()
  const roots = new Set(ids)
  const stack = [...roots]
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      if (out.has(child.id) || roots.has(child.id)) continue // a cycle someone else wrote
      out.add(child.id)
      stack.push(child.id)
    }
  }
  return out
}

/** The frame a child belongs to: its own parent, or its outermost group's. */
export function frameOf(objects: ObjectsById, o: CanvasObject): CanvasObject | undefined {
  const seen = new Set<string>()
  for (let id = o.parentId; id != null && !seen.has(id); id = objects.get(id)?.parentId) {
    seen.add(id)
    const parent = objects.get(id)
    if (parent?.type === 'frame') return parent
    if (parent?.type !== 'group') return undefined
  }
  return undefined
}

/** A change that moves an object without resizing it (a drag, a nudge, an alignment). */
function isMove(o: CanvasObject, c: ObjectChanges): boolean {
  if (c.x === undefined && c.y === undefined) return false
  return (c.width ?? o.width) === o.width && (c.height ?? o.height) === o.height
}

/** The children of moved frames move by as much, unless the same step already moves them. */
export function followFrames(objects: ObjectsById, changes: readonly Change[]): [string, ObjectChanges][] {
  const changed = new Set(changes.map(([id]) => id))
  const out: [string, ObjectChanges][] = []
  for (const [id, c] of changes) {
    const frame = objects.get(id)
    if (!frame || frame.type !== 'frame' || !isMove(frame, c)) continue
    const dx = (c.x ?? frame.x ?? 0) - (frame.x ?? 0)
    const dy = (c.y ?? frame.y ?? 0) - (frame.y ?? 0)
    if (dx === 0 && dy === 0) continue
    for (const childId of descendantsOf(objects, [id])) {
      const child = objects.get(childId)
      if (!child || changed.has(childId) || child.type === 'group') continue
      changed.add(childId)
      out.push([childId, { x: round((child.x ?? 0) + dx), y: round((child.y ?? 0) + dy) }])
    }
  }
  return out
}

function centerOf(o: CanvasObject): Point {
  const b = objectBounds(o)
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 }
}

function inside(frame: CanvasObject, p: Point): boolean {
  return contains(objectBounds(frame), { ...p, width: 0, height: 0 })
}

/** The topmost frame whose box holds `p`, other than `except`. */
function frameAt(sorted: readonly CanvasObject[], p: Point, except: string): CanvasObject | undefined {
  for (let i = sorted.length - 1; i >= 0; i--) {
    const o = sorted[i]!
    if (o.type === 'frame' && o.id !== except && inside(o, p)) return o
  }
  return undefined
}

/**
 * After a move: each moved loose shape whose centre now lies in a frame becomes that frame's child
 * (raised above it when it was below), and a child whose centre left its frame becomes loose.
 * Shapes in groups go where their group goes; children moved along with their frame stay.
 */
export function reparentOnMove(
  objects: ObjectsById,
  sorted: readonly CanvasObject[],
  changes: readonly Change[],
): [string, ObjectChanges][] {
  const after = new Map(objects)
  for (const [id, c] of changes) {
    const o = after.get(id)
    if (o) after.set(id, { ...o, ...c })
  }
  const movedFrames = changes.filter(([id]) => objects.get(id)?.type === 'frame').map(([id]) => id)
  const carried = descendantsOf(objects, movedFrames)
  const sortedAfter = sorted.map((o) => after.get(o.id) ?? o)
  let top = Math.max(0, ...sortedAfter.map((o) => o.zIndex ?? 0))
  const out: [string, ObjectChanges][] = []
  for (const [id, c] of changes) {
    const before = objects.get(id)
    const o = after.get(id)
    if (!before || !o || !isMove(before, c) || o.type === 'frame' || o.type === 'group' || carried.has(id))
      continue
    const parent = o.parentId == null ? undefined : objects.get(o.parentId)
    if (parent !== undefined && parent.type !== 'frame') continue
    const target = frameAt(sortedAfter, centerOf(o), id)
    if ((target?.id ?? null) === (parent?.id ?? null)) continue
    const change: ObjectChanges = { parentId: target?.id ?? null }
    if (target && (o.zIndex ?? 0) <= (target.zIndex ?? 0)) change.zIndex = ++top
    out.push([id, change])
  }
  return out
}

/** A new shape drawn with its centre inside a frame is born its child. */
export function adoptOnCreate(sorted: readonly CanvasObject[], object: NewObject): NewObject {
  if (object.type === 'frame' || object.type === 'group' || object.parentId != null) return object
  const probe = { createdBy: '', updatedAt: '', version: 0, ...object }
  const frame = frameAt(sorted, centerOf(probe), object.id)
  return frame ? { ...object, parentId: frame.id } : object
}

/** "Frame 3" for the third frame on the canvas (names need not be unique). */
export function nextFrameName(objects: Iterable<CanvasObject>): string {
  let n = 1
  for (const o of objects) if (o.type === 'frame') n++
  return `Frame ${n}`
}

/**
 * A frame drawn around shapes adopts the loose ones wholly inside it and goes just below the
 * lowest of them, so they stay visible on its fill.
 */
export function frameAround(
  sorted: readonly CanvasObject[],
  frame: NewObject,
): { frame: NewObject; changes: [string, ObjectChanges][] } {
  const box = { x: frame.x ?? 0, y: frame.y ?? 0, width: frame.width ?? 0, height: frame.height ?? 0 }
  const adopted = sorted.filter(
    (o) => o.parentId == null && o.type !== 'frame' && o.type !== 'group' && contains(box, objectBounds(o)),
  )
  const lowest = Math.min(...adopted.map((o) => o.zIndex ?? 0))
  return {
    frame: {
      ...frame,
      name: frame.name ?? nextFrameName(sorted),
      zIndex: adopted.length > 0 ? lowest - 1 : frame.zIndex,
    },
    changes: adopted.map((o) => [o.id, { parentId: frame.id }]),
  }
}

/**
 * child id → the frame that clips it, for every object inside a frame (through groups). Returns
 * `previous` when nothing in it changed, so the shape lists it feeds need not re-render.
 */
export function frameIndex(
  objects: ObjectsById,
  previous: ReadonlyMap<string, CanvasObject> = new Map(),
): ReadonlyMap<string, CanvasObject> {
  const next = new Map<string, CanvasObject>()
  let hasFrames = false
  for (const o of objects.values()) if (o.type === 'frame') hasFrames = true
  if (hasFrames) {
    for (const o of objects.values()) {
      if (o.parentId == null) continue
      const frame = frameOf(objects, o)
      if (frame) next.set(o.id, frame)
    }
  }
  if (next.size === previous.size && [...next].every(([id, f]) => previous.get(id) === f)) return previous
  return next
}

/**
 * Everything a step of changes implies for frames: moved frames carry their children, moved
 * shapes join or leave frames. One entry per object, so later passes (connectors) read them whole.
 */
export function withFrameFollowUps(
  objects: ObjectsById,
  sorted: readonly CanvasObject[],
  changes: readonly Change[],
): [string, ObjectChanges][] {
  const moved = [...changes, ...followFrames(objects, changes)]
  const merged = new Map<string, ObjectChanges>()
  for (const [id, c] of [...moved, ...reparentOnMove(objects, sorted, moved)])
    merged.set(id, { ...merged.get(id), ...c })
  return [...merged]
}

/** What deleting `ids` deletes: also the frames' children, except locked ones [ED-S3]. */
export function withFrameChildren(objects: ObjectsById, ids: readonly string[]): string[] {
  const frames = ids.filter((id) => objects.get(id)?.type === 'frame')
  if (frames.length === 0) return [...ids]
  const children = [...descendantsOf(objects, frames)].filter((id) => objects.get(id)?.locked !== true)
  return [...new Set([...ids, ...children])]
}

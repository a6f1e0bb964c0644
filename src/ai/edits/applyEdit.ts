import type { NewObject, ObjectChanges } from '../../protocol/objects.js'
import { PROP_RANGES } from '../../protocol/objectSchemas.js'
import { snap } from '../components/draft.js'
import { boundsOf, union, type Box } from '../geometry.js'
import type { EditCommand, Target } from '../planner/plan.js'
import { THEMES, themeNamed, type Theme } from '../themes/themes.js'

/**
 * Edit commands on what exists, pure: objects and a selection in, the changes out (nothing is
 * stored here). A frame carries its children: canvas coordinates are absolute, so moving or
 * scaling a component moves or scales every part of it too.
 */
export interface EditOutcome {
  /** Per object id, the properties to set. */
  changes: Map<string, ObjectChanges>
  deletes: Set<string>
}

export class EditRefused extends Error {
  override name = 'EditRefused'
}

export function applyEdit(
  edit: EditCommand,
  objects: ReadonlyMap<string, NewObject>,
  selection: readonly string[],
): EditOutcome {
  const outcome: EditOutcome = { changes: new Map(), deletes: new Set() }
  const children = childrenIndex(objects)
  switch (edit.op) {
    case 'delete': {
      const ids = resolveTarget(edit.target, objects, selection)
      if (ids.length === 0) throw new EditRefused(`nothing ${describeTarget(edit.target)} to delete`)
      for (const id of ids) for (const d of withDescendants(id, children)) outcome.deletes.add(d)
      return outcome
    }
    case 'recolor': {
      const ids = paintable(resolveTarget(edit.target, objects, selection), objects, children)
      if (ids.length === 0) throw new EditRefused(`nothing ${describeTarget(edit.target)} to recolour`)
      for (const id of ids) {
        const o = objects.get(id) as NewObject
        set(
          outcome,
          id,
          o.type === 'line' || o.type === 'arrow' || o.type === 'path'
            ? { stroke: edit.color }
            : { fill: edit.color },
        )
      }
      return outcome
    }
    case 'theme': {
      const theme = themeNamed(edit.theme)
      const ids = resolveTarget({}, objects, selection).flatMap((id) => withDescendants(id, children))
      for (const id of new Set(ids)) {
        const o = objects.get(id) as NewObject
        const changes = rethemed(o, theme)
        if (Object.keys(changes).length > 0) set(outcome, id, changes)
      }
      if (outcome.changes.size === 0)
        throw new EditRefused(`nothing uses a theme colour that ${theme.name} would change`)
      return outcome
    }
    case 'align':
    case 'distribute':
    case 'arrange-grid':
    case 'resize': {
      const units = topLevel(resolveTarget({ scope: 'selection' }, objects, selection), objects)
      const minimum = edit.op === 'resize' ? 1 : edit.op === 'distribute' ? 3 : 2
      if (units.length < minimum) {
        throw new EditRefused(
          `select at least ${minimum} shape${minimum === 1 ? '' : 's'} to ${edit.op === 'arrange-grid' ? 'arrange' : edit.op}`,
        )
      }
      const boxes = units.map((id) => ({ id, box: boundsOf(objects.get(id) as NewObject) }))
      if (edit.op === 'resize') {
        for (const { id, box } of boxes) scaleUnit(outcome, id, box, edit.factor, objects, children)
        return outcome
      }
      for (const { id, to } of arrange(edit, boxes)) moveUnit(outcome, id, to, objects, children)
      return outcome
    }
  }
}

/** Target positions (top-left) for align, distribute and grid. */
function arrange(
  edit: Extract<EditCommand, { op: 'align' | 'distribute' | 'arrange-grid' }>,
  boxes: { id: string; box: Box }[],
): { id: string; to: { x: number; y: number } }[] {
  const all = union(boxes.map((b) => b.box)) as Box
  if (edit.op === 'align') {
    return boxes.map(({ id, box }) => {
      switch (edit.edge) {
        case 'left':
          return { id, to: { x: all.x, y: box.y } }
        case 'right':
          return { id, to: { x: all.x + all.width - box.width, y: box.y } }
        case 'center':
          return { id, to: { x: all.x + (all.width - box.width) / 2, y: box.y } }
        case 'top':
          return { id, to: { x: box.x, y: all.y } }
        case 'bottom':
          return { id, to: { x: box.x, y: all.y + all.height - box.height } }
        case 'middle':
          return { id, to: { x: box.x, y: all.y + (all.height - box.height) / 2 } }
      }
    })
  }
  if (edit.op === 'distribute') {
    const horizontal = edit.axis === 'horizontal'
    const sorted = [...boxes].sort(
      (a, b) => (horizontal ? a.box.x - b.box.x : a.box.y - b.box.y) || a.id.localeCompare(b.id),
    )
    const sizes = sorted.reduce((s, b) => s + (horizontal ? b.box.width : b.box.height), 0)
    const span = horizontal ? all.width : all.height
    const gap = (span - sizes) / (sorted.length - 1)
    let at = horizontal ? all.x : all.y
    return sorted.map(({ id, box }) => {
      const to = horizontal ? { x: at, y: box.y } : { x: box.x, y: at }
      at += (horizontal ? box.width : box.height) + gap
      return { id, to }
    })
  }
  // A grid in reading order (rows by top, then left), cells as large as the largest unit.
  const columns = Math.max(1, Math.min(edit.columns ?? Math.ceil(Math.sqrt(boxes.length)), boxes.length))
  const sorted = [...boxes].sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x || a.id.localeCompare(b.id))
  const cellW = Math.max(...boxes.map((b) => b.box.width)) + 24
  const cellH = Math.max(...boxes.map((b) => b.box.height)) + 24
  return sorted.map(({ id }, i) => ({
    id,
    to: {
      x: snap(all.x) + (i % columns) * snap(cellW + 4),
      y: snap(all.y) + Math.floor(i / columns) * snap(cellH + 4),
    },
  }))
}

function moveUnit(
  outcome: EditOutcome,
  id: string,
  to: { x: number; y: number },
  objects: ReadonlyMap<string, NewObject>,
  children: Map<string, string[]>,
): void {
  const box = boundsOf(objects.get(id) as NewObject)
  const dx = Math.round(to.x - box.x)
  const dy = Math.round(to.y - box.y)
  if (dx === 0 && dy === 0) return
  for (const d of withDescendants(id, children)) {
    const o = objects.get(d) as NewObject
    set(outcome, d, { x: (o.x ?? 0) + dx, y: (o.y ?? 0) + dy })
  }
}

/** Scales a unit about its centre: positions, sizes, points and font sizes of every part. */
function scaleUnit(
  outcome: EditOutcome,
  id: string,
  box: Box,
  factor: number,
  objects: ReadonlyMap<string, NewObject>,
  children: Map<string, string[]>,
): void {
  const cx = box.x + box.width / 2
  const cy = box.y + box.height / 2
  const r = (n: number) => Math.round(n * 100) / 100
  for (const d of withDescendants(id, children)) {
    const o = objects.get(d) as NewObject
    const changes: ObjectChanges = {
      x: r(cx + ((o.x ?? 0) - cx) * factor),
      y: r(cy + ((o.y ?? 0) - cy) * factor),
    }
    if (o.width !== undefined) changes.width = r(o.width * factor)
    if (o.height !== undefined) changes.height = r(o.height * factor)
    if (o.points !== undefined) changes.points = o.points.map((p) => r(p * factor))
    if (o.fontSize !== undefined) {
      changes.fontSize = Math.max(
        PROP_RANGES.fontSize.min,
        Math.min(PROP_RANGES.fontSize.max, r(o.fontSize * factor)),
      )
    }
    set(outcome, d, changes)
  }
}

function set(outcome: EditOutcome, id: string, changes: ObjectChanges): void {
  outcome.changes.set(id, { ...outcome.changes.get(id), ...changes })
}

/** Ids the target names: among the selection (or all objects), by type and by name. */
export function resolveTarget(
  target: Target,
  objects: ReadonlyMap<string, NewObject>,
  selection: readonly string[],
): string[] {
  const selected = selection.filter((id) => objects.has(id))
  const pool =
    target.scope === 'all' || (target.scope === undefined && selected.length === 0)
      ? [...objects.keys()]
      : selected
  const named = target.named?.toLowerCase()
  return pool.filter((id) => {
    const o = objects.get(id) as NewObject
    if (target.types !== undefined && !target.types.includes(o.type as NonNullable<Target['types']>[number]))
      return false
    if (named !== undefined && !(o.name ?? '').toLowerCase().includes(named)) return false
    return true
  })
}

/** Of `ids`, those whose frame (or any ancestor) is not among them: what moves as one. */
function topLevel(ids: readonly string[], objects: ReadonlyMap<string, NewObject>): string[] {
  const set = new Set(ids)
  return ids.filter((id) => {
    const seen = new Set<string>()
    for (let p = objects.get(id)?.parentId; p != null && !seen.has(p); p = objects.get(p)?.parentId) {
      if (set.has(p)) return false
      seen.add(p)
    }
    return true
  })
}

/** What a colour lands on: a frame's named button is its button rect, not its label or frame. */
function paintable(
  ids: readonly string[],
  objects: ReadonlyMap<string, NewObject>,
  children: Map<string, string[]>,
): string[] {
  const out = new Set<string>()
  for (const id of ids) {
    const o = objects.get(id) as NewObject
    if (o.type !== 'frame' && o.type !== 'group') {
      out.add(id)
      continue
    }
    // A component named after the target: its shapes (not its text) take the colour.
    for (const d of withDescendants(id, children)) {
      const part = objects.get(d) as NewObject
      if (d !== id && part.type !== 'text' && part.type !== 'frame' && part.type !== 'line') out.add(d)
    }
  }
  return [...out]
}

function childrenIndex(objects: ReadonlyMap<string, NewObject>): Map<string, string[]> {
  const index = new Map<string, string[]>()
  for (const o of objects.values()) {
    if (o.parentId == null) continue
    const list = index.get(o.parentId)
    if (list) list.push(o.id)
    else index.set(o.parentId, [o.id])
  }
  return index
}

function withDescendants(id: string, children: Map<string, string[]>): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  const stack = [id]
  while (stack.length > 0) {
    const next = stack.pop() as string
    if (seen.has(next)) continue
    seen.add(next)
    out.push(next)
    stack.push(...(children.get(next) ?? []))
  }
  return out
}

type Role = 'background' | 'surface' | 'primary' | 'onPrimary' | 'text' | 'muted' | 'border'

/** Which theme role a colour plays for a part of this kind, in order of likelihood. */
const ROLE_ORDER: Record<'text' | 'shape' | 'frame' | 'stroke', readonly Role[]> = {
  text: ['text', 'muted', 'onPrimary', 'primary'],
  shape: ['primary', 'surface', 'background', 'border', 'onPrimary', 'text'],
  frame: ['background', 'surface', 'primary'],
  stroke: ['border', 'primary', 'muted', 'text'],
}

function roleOf(color: string | undefined, order: readonly Role[]): Role | undefined {
  if (color === undefined) return undefined
  const c = color.toLowerCase()
  for (const role of order)
    for (const theme of Object.values(THEMES)) if (theme[role].toLowerCase() === c) return role
  return undefined
}

/** The object's colours moved to `theme` wherever they play a theme role; other colours stay. */
function rethemed(o: NewObject, theme: Theme): ObjectChanges {
  const changes: ObjectChanges = {}
  const fillOrder =
    o.type === 'text' ? ROLE_ORDER.text : o.type === 'frame' ? ROLE_ORDER.frame : ROLE_ORDER.shape
  const fillRole = roleOf(o.fill, fillOrder)
  if (fillRole !== undefined && theme[fillRole] !== o.fill) changes.fill = theme[fillRole]
  const strokeRole =
    o.type === 'line' ? roleOf(o.stroke, ['border', 'primary', 'text']) : roleOf(o.stroke, ROLE_ORDER.stroke)
  if (strokeRole !== undefined && theme[strokeRole] !== o.stroke) changes.stroke = theme[strokeRole]
  return changes
}

function describeTarget(target: Target): string {
  const what = target.named ?? target.types?.join(' or ')
  return what === undefined
    ? target.scope === 'selection'
      ? 'selected'
      : 'on the canvas'
    : `matching “${what}”`
}

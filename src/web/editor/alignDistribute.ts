import type { CanvasObject, ObjectChanges } from '../../protocol/objects.js'
import { objectBounds, round, unionBounds } from '../canvas/geometry.js'
import type { Bounds } from '../canvas/viewport.js'
import { topOf, type ObjectsById } from './grouping.js'

/**
 * Align and distribute [ED-S1]: pure geometry on the selection's units (a loose shape, or a
 * whole group, each with its axis-aligned box). Answers how far each unit moves; the editor
 * turns that into one step of position changes.
 */

export const ALIGNMENTS = ['left', 'center', 'right', 'top', 'middle', 'bottom'] as const
export type Alignment = (typeof ALIGNMENTS)[number]
export const DISTRIBUTIONS = ['horizontal', 'vertical'] as const
export type Distribution = (typeof DISTRIBUTIONS)[number]

/** Aligning needs two units, distributing three (the outer two stay put). */
export const MIN_UNITS = { align: 2, distribute: 3 } as const

export interface Shift {
  dx: number
  dy: number
}

const NONE: Shift = { dx: 0, dy: 0 }

/** Each unit's shift so that the named edge (or centre line) of all of them lines up with the selection's. */
export function alignShifts(boxes: readonly Bounds[], how: Alignment): Shift[] {
  if (boxes.length < MIN_UNITS.align) return boxes.map(() => NONE)
  const left = Math.min(...boxes.map((b) => b.x))
  const top = Math.min(...boxes.map((b) => b.y))
  const right = Math.max(...boxes.map((b) => b.x + b.width))
  const bottom = Math.max(...boxes.map((b) => b.y + b.height))
  return boxes.map((b) => {
    switch (how) {
      case 'left':
        return { dx: left - b.x, dy: 0 }
      case 'center':
        return { dx: (left + right) / 2 - (b.x + b.width / 2), dy: 0 }
      case 'right':
        return { dx: right - (b.x + b.width), dy: 0 }
      case 'top':
        return { dx: 0, dy: top - b.y }
      case 'middle':
        return { dx: 0, dy: (top + bottom) / 2 - (b.y + b.height / 2) }
      case 'bottom':
        return { dx: 0, dy: bottom - (b.y + b.height) }
    }
  })
}

/**
 * Equal gaps between neighbours along the axis, in the order of their centres; the first and last
 * keep their places. Boxes wider than the room between the outer two overlap by equal amounts.
 */
export function distributeShifts(boxes: readonly Bounds[], how: Distribution): Shift[] {
  if (boxes.length < MIN_UNITS.distribute) return boxes.map(() => NONE)
  const horizontal = how === 'horizontal'
  const start = (b: Bounds) => (horizontal ? b.x : b.y)
  const size = (b: Bounds) => (horizontal ? b.width : b.height)
  const order = boxes
    .map((b, i) => ({ b, i }))
    .sort((p, q) => start(p.b) + size(p.b) / 2 - (start(q.b) + size(q.b) / 2) || p.i - q.i)
  const first = order[0]!.b
  const last = order[order.length - 1]!.b
  const span = start(last) + size(last) - start(first)
  const gap = (span - order.reduce((sum, { b }) => sum + size(b), 0)) / (order.length - 1)
  const shifts: Shift[] = boxes.map(() => NONE)
  let at = start(first)
  for (const { b, i } of order) {
    const d = at - start(b)
    shifts[i] = horizontal ? { dx: d, dy: 0 } : { dx: 0, dy: d }
    at += size(b) + gap
  }
  return shifts
}

/** A thing that moves as one: a loose object, or every selected shape of one outermost group. */
export interface Unit {
  ids: string[]
  bounds: Bounds
}

/**
 * The selection's units: shapes of one outermost group move together, and a shape inside a
 * selected frame is left to its frame (it follows it). Groups' own boxes may be stale: a group's
 * unit is the union of its shapes' boxes.
 */
export function unitsOf(objects: ObjectsById, selected: readonly CanvasObject[]): Unit[] {
  const picked = new Set(selected.map((o) => o.id))
  const byTop = new Map<string, CanvasObject[]>()
  for (const o of selected) {
    if (o.type === 'group' || insideSelectedFrame(objects, o, picked)) continue
    const top = topOf(objects, o).id
    const list = byTop.get(top)
    if (list) list.push(o)
    else byTop.set(top, [o])
  }
  const units: Unit[] = []
  for (const members of byTop.values()) {
    const bounds = unionBounds(members.map(objectBounds))
    if (bounds) units.push({ ids: members.map((o) => o.id), bounds })
  }
  return units
}

function insideSelectedFrame(objects: ObjectsById, o: CanvasObject, picked: ReadonlySet<string>): boolean {
  const seen = new Set<string>()
  for (let id = o.parentId; id != null && !seen.has(id); id = objects.get(id)?.parentId) {
    seen.add(id)
    if (picked.has(id) && objects.get(id)?.type === 'frame') return true
  }
  return false
}

/** The position changes that apply `shifts` to `units` (objects that do not move are left out). */
export function shiftChanges(
  objects: ObjectsById,
  units: readonly Unit[],
  shifts: readonly Shift[],
): [string, ObjectChanges][] {
  const changes: [string, ObjectChanges][] = []
  units.forEach((unit, i) => {
    const shift = shifts[i] ?? NONE
    if (Math.abs(shift.dx) < 0.005 && Math.abs(shift.dy) < 0.005) return
    for (const id of unit.ids) {
      const o = objects.get(id)
      if (o) changes.push([id, { x: round((o.x ?? 0) + shift.dx), y: round((o.y ?? 0) + shift.dy) }])
    }
  })
  return changes
}

export function alignChanges(
  objects: ObjectsById,
  selected: readonly CanvasObject[],
  how: Alignment,
): [string, ObjectChanges][] {
  const units = unitsOf(objects, selected)
  return shiftChanges(
    objects,
    units,
    alignShifts(
      units.map((u) => u.bounds),
      how,
    ),
  )
}

export function distributeChanges(
  objects: ObjectsById,
  selected: readonly CanvasObject[],
  how: Distribution,
): [string, ObjectChanges][] {
  const units = unitsOf(objects, selected)
  return shiftChanges(
    objects,
    units,
    distributeShifts(
      units.map((u) => u.bounds),
      how,
    ),
  )
}

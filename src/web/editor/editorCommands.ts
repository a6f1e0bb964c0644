import type { CanvasObject, NewObject, ObjectChanges } from '../../protocol/objects.js'
import { clampFontSize } from '../canvas/geometry.js'
import { fitText } from '../canvas/measureText.js'
import { cloneObject, maxZ } from '../canvas/objectFactory.js'
import type { StyleDefaults } from '../canvas/tools.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import { styleAppliesTo, type StyleChange } from './StylePanel.js'

/** Editing commands on the selection. Each is one engine transaction: one undo step. */

export const DUPLICATE_OFFSET = 24

export function selectedInOrder(
  sorted: readonly CanvasObject[],
  selection: ReadonlySet<string>,
): CanvasObject[] {
  return sorted.filter((o) => selection.has(o.id))
}

export function updateMany(
  engine: SyncEngine,
  changes: ReadonlyArray<readonly [string, ObjectChanges]>,
): void {
  if (changes.length === 0) return
  engine.transact(() => {
    for (const [id, c] of changes) engine.update(id, c)
  })
}

export function createMany(engine: SyncEngine, objects: readonly NewObject[]): void {
  if (objects.length === 0) return
  engine.transact(() => {
    for (const o of objects) engine.create(o)
  })
}

export function deleteSelection(engine: SyncEngine, selection: ReadonlySet<string>): void {
  if (selection.size > 0) engine.remove([...selection])
}

/** Copies of `objects` shifted by `offset`, stacked above everything; returns their ids. */
export function placeCopies(
  engine: SyncEngine,
  all: readonly CanvasObject[],
  objects: readonly CanvasObject[],
  offset: number,
): string[] {
  let z = maxZ(all)
  // Copies are loose shapes: they would otherwise join the originals' group [ED-G1].
  const copies = objects
    .filter((o) => o.type !== 'group')
    .map((o) => ({ ...cloneObject(o, { x: offset, y: offset }, ++z), parentId: null }))
  createMany(engine, copies)
  return copies.map((c) => c.id)
}

export function nudge(engine: SyncEngine, selected: readonly CanvasObject[], dx: number, dy: number): void {
  updateMany(
    engine,
    selected.map((o) => [o.id, { x: (o.x ?? 0) + dx, y: (o.y ?? 0) + dy }] as const),
  )
}

export type ZOrderMove = 'forward' | 'backward' | 'front' | 'back'

/**
 * New zIndex values for the selection moved as a block: past the next object above (or below),
 * or to the top (bottom). Only the selection changes; fractions keep the others where they are.
 */
export function zOrderChanges(
  sorted: readonly CanvasObject[],
  selection: ReadonlySet<string>,
  move: ZOrderMove,
): [string, ObjectChanges][] {
  const picked = sorted.filter((o) => selection.has(o.id))
  const rest = sorted.filter((o) => !selection.has(o.id))
  if (picked.length === 0 || rest.length === 0) return []
  const z = (o: CanvasObject | undefined) => o?.zIndex ?? 0
  const n = picked.length
  const spread = (lo: number, hi: number) =>
    picked.map((o, k) => [o.id, { zIndex: lo + ((hi - lo) * (k + 1)) / (n + 1) }] as [string, ObjectChanges])
  const indexIn = (o: CanvasObject) => sorted.indexOf(o)
  switch (move) {
    case 'front':
      return picked.map((o, k) => [o.id, { zIndex: z(rest[rest.length - 1]) + 1 + k }])
    case 'back':
      return picked.map((o, k) => [o.id, { zIndex: z(rest[0]) - n + k }])
    case 'forward': {
      const top = Math.max(...picked.map(indexIn))
      const nextIdx = rest.findIndex((o) => indexIn(o) > top)
      if (nextIdx === -1) return []
      const lo = z(rest[nextIdx])
      const after = rest[nextIdx + 1]
      return spread(lo, after && z(after) > lo ? z(after) : lo + 1)
    }
    case 'backward': {
      const bottom = Math.min(...picked.map(indexIn))
      let prevIdx = -1
      for (let i = rest.length - 1; i >= 0; i--) {
        const candidate = rest[i]
        if (candidate && indexIn(candidate) < bottom) {
          prevIdx = i
          break
        }
      }
      if (prevIdx === -1) return []
      const hi = z(rest[prevIdx])
      const before = rest[prevIdx - 1]
      return spread(before && z(before) < hi ? z(before) : hi - 1, hi)
    }
  }
}

// ---- clipboard ----------------------------------------------------------------------------------

const CLIPBOARD_KEY = 'collabcanvas'

/** Objects as clipboard text: pastes into any canvas, in any tab. */
export function serializeForClipboard(objects: readonly CanvasObject[]): string {
  return JSON.stringify({ [CLIPBOARD_KEY]: 1, objects })
}

export function parseClipboard(text: string): CanvasObject[] | undefined {
  if (!text.startsWith('{')) return undefined
  try {
    const parsed = JSON.parse(text) as { [CLIPBOARD_KEY]?: unknown; objects?: unknown }
    if (parsed[CLIPBOARD_KEY] !== 1 || !Array.isArray(parsed.objects)) return undefined
    return (parsed.objects as CanvasObject[]).filter(
      (o) => typeof o === 'object' && typeof o.id === 'string' && typeof o.type === 'string',
    )
  } catch {
    return undefined
  }
}

/**
 * What a style panel change does to each selected object: only the properties its type has; a
 * font size also re-measures the text's box, an arrow's stroke colours its head too.
 */
export function styleChanges(
  selected: readonly CanvasObject[],
  change: StyleChange,
): [string, ObjectChanges][] {
  const changes: [string, ObjectChanges][] = []
  for (const o of selected) {
    const c: ObjectChanges = {}
    for (const key of Object.keys(change) as (keyof StyleDefaults)[]) {
      if (!styleAppliesTo(o.type, key)) continue
      if (key === 'fontSize' && change.fontSize !== undefined) {
        c.fontSize = clampFontSize(change.fontSize)
        // The box grows with its font: width and height re-measured [ED-S2].
        Object.assign(c, fitText({ ...o, fontSize: c.fontSize }, o.text ?? ''))
      } else if (key === 'fill' && change.fill !== undefined) c.fill = change.fill
      else if (key === 'stroke' && change.stroke !== undefined) {
        c.stroke = change.stroke
        if (o.type === 'arrow') c.fill = change.stroke // the arrowhead is filled with the line colour
      } else if (key === 'strokeWidth' && change.strokeWidth !== undefined) c.strokeWidth = change.strokeWidth
      else if (key === 'opacity' && change.opacity !== undefined) c.opacity = change.opacity
    }
    if (Object.keys(c).length > 0) changes.push([o.id, c])
  }
  return changes
}

import type { CanvasObject, NewObject, ObjectChanges } from '../../protocol/objects.js'
import { objectBounds, round, unionBounds } from '../canvas/geometry.js'
import { newId } from '../canvas/objectFactory.js'

/**
 * Groups (Ctrl/Cmd+G) [ED-G1]: a `group` object is a name for a set of objects, which point to
 * it with `parentId`; groups nest the same way. A group is never drawn or picked: picking any of
 * its shapes selects all of them, so moving, resizing, styling, deleting and copying a group are
 * what they are for a multi-selection. Pure: the editor applies the answers as one step each.
 */

export type ObjectsById = ReadonlyMap<string, CanvasObject>

/** The outermost group `o` belongs to, or `o` itself; parent links to missing objects end the walk. */
export function topOf(objects: ObjectsById, o: CanvasObject): CanvasObject {
  let top = o
  const seen = new Set<string>([o.id])
  for (let parent = parentOf(objects, top); parent !== undefined; parent = parentOf(objects, top)) {
    if (seen.has(parent.id)) break // a cycle someone else wrote: stop where it closes
    seen.add(parent.id)
    top = parent
  }
  return top
}

function parentOf(objects: ObjectsById, o: CanvasObject): CanvasObject | undefined {
  const parent = o.parentId == null ? undefined : objects.get(o.parentId)
  return parent?.type === 'group' ? parent : undefined
}

/** group id → its direct members. */
export function membersByGroup(objects: ObjectsById): Map<string, CanvasObject[]> {
  const members = new Map<string, CanvasObject[]>()
  for (const o of objects.values()) {
    const parent = parentOf(objects, o)
    if (parent === undefined) continue
    const list = members.get(parent.id)
    if (list) list.push(o)
    else members.set(parent.id, [o])
  }
  return members
}

/** The drawn objects under `o` (itself when it is one), through nested groups. */
function leavesOf(o: CanvasObject, members: ReadonlyMap<string, CanvasObject[]>, out: Set<string>): void {
  if (o.type !== 'group') {
    out.add(o.id)
    return
  }
  if (out.has(o.id)) return
  out.add(o.id) // marks the group visited; removed by the caller
  for (const child of members.get(o.id) ?? []) leavesOf(child, members, out)
}

/** What picking `ids` selects: every drawn object of their outermost groups (never a group itself). */
export function expandToGroups(objects: ObjectsById, ids: readonly string[]): string[] {
  if (!ids.some((id) => objects.get(id)?.parentId != null || objects.get(id)?.type === 'group')) {
    return [...ids]
  }
  const members = membersByGroup(objects)
  const out = new Set<string>()
  for (const id of ids) {
    const o = objects.get(id)
    if (o) leavesOf(topOf(objects, o), members, out)
  }
  return [...out].filter((id) => objects.get(id)?.type !== 'group')
}

/** The selection's outermost units: its groups and its loose objects. */
function unitsOf(objects: ObjectsById, selected: readonly CanvasObject[]): CanvasObject[] {
  const units = new Map<string, CanvasObject>()
  for (const o of selected) {
    const top = topOf(objects, o)
    units.set(top.id, top)
  }
  return [...units.values()]
}

/** Ctrl/Cmd+G: a new group over the selection's units; undefined when there is nothing to group. */
export function groupSelection(
  objects: ObjectsById,
  selected: readonly CanvasObject[],
): { group: NewObject; changes: [string, ObjectChanges][] } | undefined {
  const units = unitsOf(objects, selected)
  if (units.length < 2) return undefined
  const bounds = unionBounds(selected.map(objectBounds))
  const group: NewObject = {
    id: newId(),
    type: 'group',
    x: round(bounds?.x ?? 0),
    y: round(bounds?.y ?? 0),
    width: round(bounds?.width ?? 0),
    height: round(bounds?.height ?? 0),
    zIndex: Math.max(...units.map((u) => u.zIndex ?? 0)),
    parentId: null,
  }
  return { group, changes: units.map((u) => [u.id, { parentId: group.id }]) }
}

/** Shift+Ctrl/Cmd+G: the selection's outermost groups dissolve one level; their members stay. */
export function ungroupSelection(
  objects: ObjectsById,
  selected: readonly CanvasObject[],
): { changes: [string, ObjectChanges][]; deleted: string[] } {
  const groups = unitsOf(objects, selected).filter((u) => u.type === 'group')
  const members = membersByGroup(objects)
  const changes: [string, ObjectChanges][] = []
  for (const g of groups) for (const m of members.get(g.id) ?? []) changes.push([m.id, { parentId: null }])
  return { changes, deleted: groups.map((g) => g.id) }
}

/** Deleting `ids` also deletes the groups it empties, outermost included. */
export function withEmptiedGroups(objects: ObjectsById, ids: readonly string[]): string[] {
  const gone = new Set(ids)
  const members = membersByGroup(objects)
  let changed = true
  while (changed) {
    changed = false
    for (const [groupId, list] of members) {
      if (gone.has(groupId) || !list.every((m) => gone.has(m.id))) continue
      gone.add(groupId)
      changed = true
    }
  }
  return [...gone]
}

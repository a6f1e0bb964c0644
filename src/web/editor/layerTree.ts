import type { CanvasObject, ObjectType } from '../../protocol/objects.js'

/**
 * The layers panel's rows [ED-S5]: every object in draw order, topmost first, with the children
 * of groups and frames nested under them. Pure.
 */

export interface LayerRow {
  object: CanvasObject
  depth: number
}

const CONTAINERS: ReadonlySet<ObjectType> = new Set(['group', 'frame'])

export function layerRows(sorted: readonly CanvasObject[]): LayerRow[] {
  const byId = new Map(sorted.map((o) => [o.id, o]))
  const children = new Map<string, CanvasObject[]>()
  const roots: CanvasObject[] = []
  for (const o of sorted) {
    const parent = o.parentId == null ? undefined : byId.get(o.parentId)
    if (parent && CONTAINERS.has(parent.type)) {
      const list = children.get(parent.id)
      if (list) list.push(o)
      else children.set(parent.id, [o])
    } else roots.push(o)
  }
  const rows: LayerRow[] = []
  const visited = new Set<string>()
  const visit = (o: CanvasObject, depth: number) => {
    if (visited.has(o.id)) return
    visited.add(o.id)
    rows.push({ object: o, depth })
    const list = children.get(o.id) ?? []
    for (let i = list.length - 1; i >= 0; i--) visit(list[i]!, depth + 1)
  }
  for (let i = roots.length - 1; i >= 0; i--) visit(roots[i]!, 0)
  // Objects on a parent cycle someone else wrote have no root: list them at the top level.
  for (let i = sorted.length - 1; i >= 0; i--) visit(sorted[i]!, 0)
  return rows
}

const TYPE_LABEL: Record<ObjectType, string> = {
  rect: 'Rectangle',
  ellipse: 'Ellipse',
  line: 'Line',
  arrow: 'Arrow',
  text: 'Text',
  path: 'Drawing',
  frame: 'Frame',
  group: 'Group',
  image: 'Image',
}

/** What a row shows: the object's name, else its kind and the start of its words. */
export function layerName(o: CanvasObject): string {
  const name = o.name?.trim()
  if (name) return name
  const words = (o.text ?? '').trim().replace(/\s+/g, ' ')
  if (words === '') return TYPE_LABEL[o.type]
  return `${TYPE_LABEL[o.type]}: ${words.length > 24 ? `${words.slice(0, 24)}…` : words}`
}

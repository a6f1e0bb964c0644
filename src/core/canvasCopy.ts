import type { CanvasObject, NewObject } from '../protocol/objects.js'

/**
 * The objects of a canvas as creates for a copy of it [LIST2]: the server's fields dropped
 * (the copy's log sets them anew), ids kept (they are per canvas, so groups and connector
 * bindings still point at the right shapes), parents created before their children (a create
 * naming a parent that does not exist yet is refused [ROOM9]). A parent the canvas no longer
 * holds, or one inside a loop, is cleared rather than copied: every object is copied once.
 * Connector ends (`startId`, `endId`) may name a deleted object, so they are copied as they are.
 */
export function copyCreates(objects: readonly CanvasObject[]): NewObject[] {
  const byId = new Map(objects.map((o) => [o.id, o]))
  const children = new Map<string, CanvasObject[]>()
  const roots: CanvasObject[] = []
  for (const o of objects) {
    const parent = typeof o.parentId === 'string' && byId.has(o.parentId) ? o.parentId : undefined
    if (parent === undefined) roots.push(o)
    else {
      const siblings = children.get(parent)
      if (siblings) siblings.push(o)
      else children.set(parent, [o])
    }
  }
  const out: NewObject[] = []
  const done = new Set<string>()
  const emit = (o: CanvasObject, parentKnown: boolean) => {
    // Depth-first without recursion: nesting may run as deep as the canvas is large.
    const stack: [CanvasObject, boolean][] = [[o, parentKnown]]
    while (stack.length > 0) {
      const [next, known] = stack.pop() as [CanvasObject, boolean]
      if (done.has(next.id)) continue
      done.add(next.id)
      out.push(withoutServerFields(next, known))
      const kids = children.get(next.id) ?? []
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i] as CanvasObject, true])
    }
  }
  for (const root of roots) emit(root, false)
  // Whatever no root reaches sits in a parent loop: copied loose.
  for (const o of objects) emit(o, false)
  return out
}

function withoutServerFields(o: CanvasObject, parentKnown: boolean): NewObject {
  const { createdBy: _createdBy, updatedAt: _updatedAt, version: _version, ...props } = o
  if (!parentKnown && props.parentId !== undefined) props.parentId = null
  return props
}

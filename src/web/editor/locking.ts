import type { CanvasObject, ObjectChanges } from '../../protocol/objects.js'

/**
 * Lock [ED-S3]: a locked object stays drawn, but the editor does not pick, select, move, resize
 * or delete it; the layers panel and the right-click menu unlock it. Stored on the object, so
 * every collaborator's editor honours it.
 */

export function isLocked(o: Pick<CanvasObject, 'locked'> | undefined): boolean {
  return o?.locked === true
}

/** What clicks, marquees and Select all may pick: everything not locked. */
export function pickable(sorted: readonly CanvasObject[]): CanvasObject[] {
  return sorted.some(isLocked) ? sorted.filter((o) => !isLocked(o)) : (sorted as CanvasObject[])
}

export function lockChanges(objects: readonly CanvasObject[], locked: boolean): [string, ObjectChanges][] {
  return objects.filter((o) => isLocked(o) !== locked).map((o) => [o.id, { locked }])
}

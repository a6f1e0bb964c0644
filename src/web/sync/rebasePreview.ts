import type { AiPreview } from '../../protocol/aiHttpTypes.js'
import type { CanvasObject, ObjectChanges } from '../../protocol/objects.js'
import { sameValue } from './undoHistory.js'

/**
 * An AI edit preview rebased on the canvas as it is now [AI review]: a property someone changed
 * after the preview was made keeps their value (only properties still at the previewed `before`
 * change), an object changed since (another version) is not deleted, a vanished one is skipped.
 * Pure: the engine sends what this returns as ordinary ops.
 */
export interface RebasedPreview {
  updates: { id: string; changes: ObjectChanges }[]
  deletes: string[]
  /** Changes left out because someone else got there first. */
  skipped: number
}

export function rebasePreview(preview: AiPreview, view: ReadonlyMap<string, CanvasObject>): RebasedPreview {
  const out: RebasedPreview = { updates: [], deletes: [], skipped: 0 }
  for (const { id, changes, before } of preview.updates) {
    const current = view.get(id) as unknown as Record<string, unknown> | undefined
    if (current === undefined) {
      out.skipped += Object.keys(changes).length
      continue
    }
    const kept: Record<string, unknown> = {}
    const was = before as Record<string, unknown>
    for (const [key, value] of Object.entries(changes)) {
      const now = current[key] ?? null
      if (sameValue(now, was[key] ?? null)) kept[key] = value
      else out.skipped++
    }
    if (Object.keys(kept).length > 0) out.updates.push({ id, changes: kept })
  }
  for (const { id, version } of preview.deletes) {
    const current = view.get(id)
    if (current !== undefined && current.version === version) out.deletes.push(id)
    else out.skipped++
  }
  return out
}

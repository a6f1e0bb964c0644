import type { AiPreview } from '../../../protocol/aiHttpTypes.js'
import type { CanvasObject } from '../../../protocol/objects.js'

/** Opacity of an object the preview would delete: still there, clearly on its way out. */
export const DELETED_OPACITY = 0.2

/**
 * What the canvas shows while an AI edit is previewed: the objects with the preview's changes
 * applied, and those it deletes faded. Display only; nothing is sent until the user accepts.
 */
export function previewView(
  objects: ReadonlyMap<string, CanvasObject>,
  preview: AiPreview,
): ReadonlyMap<string, CanvasObject> {
  const out = new Map(objects)
  for (const { id, changes } of preview.updates) {
    const o = out.get(id)
    if (o) out.set(id, { ...o, ...changes })
  }
  for (const { id } of preview.deletes) {
    const o = out.get(id)
    if (o) out.set(id, { ...o, opacity: DELETED_OPACITY })
  }
  return out
}

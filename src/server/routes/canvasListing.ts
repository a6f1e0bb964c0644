import type { OpLog } from '../../log/opLog.js'
import type { CanvasForUser, CanvasStore } from '../../store/canvasStore.js'

/** A canvas in the list: its log head and the time of its last edit [LIST3]. */
export type CanvasListing = CanvasForUser & { seq: number; editedAt: string }

/**
 * The caller's canvases, most recently edited first [LIST3]: "Edited …" is the time of the last
 * object operation (the log's head entry), not of a rename; a canvas never edited shows when
 * it was made.
 */
export async function listCanvasesByEdit(
  store: CanvasStore,
  opLog: OpLog,
  userId: string,
): Promise<CanvasListing[]> {
  const canvases = await store.listCanvases(userId)
  const edits = await opLog.lastEdits(canvases.map((c) => c.id))
  return canvases
    .map((c): CanvasListing => {
      const edit = edits.get(c.id)
      return {
        ...c,
        seq: edit?.seq ?? 0,
        editedAt: edit?.at === undefined ? c.createdAt : new Date(edit.at).toISOString(),
      }
    })
    .sort((a, b) => (a.editedAt === b.editedAt ? (a.id < b.id ? -1 : 1) : a.editedAt < b.editedAt ? 1 : -1))
}

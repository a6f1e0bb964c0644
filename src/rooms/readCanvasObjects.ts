import { applyEntry } from '../core/room/applyEntry.js'
import { emptyRoom, roomFromSnapshot } from '../core/room/roomState.js'
import type { OpLog } from '../log/opLog.js'
import type { CanvasObject } from '../protocol/objects.js'

const READ_PAGE = 1_000

/**
 * A canvas's objects as of its log now, read without loading a room: the snapshot, then the
 * entries after it through the same pure apply every room runs [ROOM11]. For readers that only
 * look (thumbnails): nothing subscribes, nothing stays in memory.
 */
export async function readCanvasObjects(
  opLog: OpLog,
  canvasId: string,
): Promise<{ seq: number; objects: CanvasObject[] }> {
  const snapshot = await opLog.loadSnapshot(canvasId)
  let state = snapshot ? roomFromSnapshot(snapshot.seq, snapshot.objects) : emptyRoom()
  for (;;) {
    const page = await opLog.readAfter(canvasId, state.seq, READ_PAGE)
    if (page.length === 0) break
    for (const entry of page) state = applyEntry(state, entry).state
  }
  return { seq: state.seq, objects: [...state.objects.values()] }
}

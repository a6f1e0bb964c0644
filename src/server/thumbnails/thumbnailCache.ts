import { thumbnailSvg } from '../../core/canvasThumbnail.js'
import type { OpLog } from '../../log/opLog.js'
import type { CanvasObject } from '../../protocol/objects.js'
import { readCanvasObjects } from '../../rooms/readCanvasObjects.js'

/** What the cache needs of the rooms: one already loaded here, if any (never loads one). */
export interface LoadedRooms {
  peek(canvasId: string): { seq: number; objects: ReadonlyMap<string, CanvasObject> } | undefined
}

/** Thumbnails kept in this process; each is a few kilobytes at most. */
export const THUMBNAIL_CACHE_ENTRIES = 1_000

/**
 * Canvas thumbnails [LIST1], cached by the canvas's seq: a canvas nobody changed is drawn once
 * per process, whoever asks. The objects come from the room when it is loaded here, otherwise
 * from the log (snapshot and tail) without loading one, so a list of 50 canvases does not pull
 * 50 rooms into memory. Concurrent requests for one canvas share one drawing.
 */
export class ThumbnailCache {
  private readonly entries = new Map<string, { seq: number; svg: string }>()
  private readonly drawing = new Map<string, Promise<{ seq: number; svg: string }>>()

  constructor(
    private readonly opLog: OpLog,
    private readonly rooms: LoadedRooms,
  ) {}

  async get(canvasId: string): Promise<{ seq: number; svg: string }> {
    const room = this.rooms.peek(canvasId)
    const seq = room?.seq ?? (await this.opLog.headSeq(canvasId))
    const cached = this.entries.get(canvasId)
    if (cached?.seq === seq) {
      // Most recently used last: the first key is the one to evict.
      this.entries.delete(canvasId)
      this.entries.set(canvasId, cached)
      return cached
    }
    let pending = this.drawing.get(canvasId)
    if (!pending) {
      pending = this.draw(canvasId, room).finally(() => this.drawing.delete(canvasId))
      this.drawing.set(canvasId, pending)
    }
    return pending
  }

  private async draw(
    canvasId: string,
    room: { seq: number; objects: ReadonlyMap<string, CanvasObject> } | undefined,
  ): Promise<{ seq: number; svg: string }> {
    const state = room
      ? { seq: room.seq, objects: [...room.objects.values()] }
      : await readCanvasObjects(this.opLog, canvasId)
    const entry = { seq: state.seq, svg: thumbnailSvg(state.objects) }
    this.entries.delete(canvasId)
    this.entries.set(canvasId, entry)
    if (this.entries.size > THUMBNAIL_CACHE_ENTRIES) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    return entry
  }
}

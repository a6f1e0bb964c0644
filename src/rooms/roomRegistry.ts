import type { CanvasListener, CanvasNotice, Ephemeral } from '../log/canvasBus.js'
import type { LogEntry } from '../core/room/logEntry.js'
import { AppError } from '../protocol/appError.js'
import { RoomHost, type RoomHostDeps } from './roomHost.js'

/**
 * canvasId → the RoomHost serving it here. A room loads on first use (concurrent users share the
 * load) and listens to its canvas on the bus from before it loads, so no commit slips between
 * loading and listening. It stays while it has clients and a grace period after, then is
 * snapshotted and evicted; a deleted canvas's room goes at once.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Promise<RoomHost>>()
  private readonly loaded = new Map<string, { room: RoomHost; unsubscribe: () => void }>()

  constructor(private readonly deps: RoomHostDeps) {}

  get size(): number {
    return this.loaded.size
  }

  acquire(canvasId: string): Promise<RoomHost> {
    let pending = this.rooms.get(canvasId)
    if (!pending) {
      const room = new RoomHost(canvasId, this.deps)
      const listener: CanvasListener = {
        committed: (entries: readonly LogEntry[], headSeq: number) => room.committed(entries, headSeq),
        notice: (notice: CanvasNotice) => {
          room.notice(notice)
          if (notice.kind === 'deleted') void this.evict(canvasId)
        },
        ephemeral: (message: Ephemeral, source: string) => room.ephemeral(message, source),
      }
      const unsubscribe = this.deps.bus.subscribe(canvasId, listener)
      // Loaded once the bus delivers the canvas's messages here: no commit falls in between.
      pending = this.deps.bus
        .ready(canvasId)
        .then(() => room.load())
        .then(
          () => {
            if (room.isDeleted) {
              // Deleted while it loaded: nobody may join it.
              unsubscribe()
              this.rooms.delete(canvasId)
              throw new AppError('not_found', 'this canvas was deleted')
            }
            this.loaded.set(canvasId, { room, unsubscribe })
            this.deps.observer.rooms(this.loaded.size)
            room.emptySince = this.deps.now()
            return room
          },
          (err: unknown) => {
            unsubscribe()
            this.rooms.delete(canvasId)
            throw err
          },
        )
      this.rooms.set(canvasId, pending)
    }
    return pending.then((room) => {
      // Refresh the grace period so a room is not evicted between acquire and join.
      if (room.size === 0) room.emptySince = this.deps.now()
      return room
    })
  }

  /** A room already loaded here, without loading one. */
  peek(canvasId: string): RoomHost | undefined {
    return this.loaded.get(canvasId)?.room
  }

  /** Evicts rooms empty for longer than `ttlMs`. */
  async evictIdle(ttlMs: number): Promise<void> {
    const now = this.deps.now()
    for (const [canvasId, { room }] of this.loaded) {
      if (room.size > 0 || room.emptySince === undefined || now - room.emptySince < ttlMs) continue
      await this.evict(canvasId)
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.loaded.keys()].map((canvasId) => this.evict(canvasId)))
  }

  private async evict(canvasId: string): Promise<void> {
    const entry = this.loaded.get(canvasId)
    if (!entry) return
    this.loaded.delete(canvasId)
    this.rooms.delete(canvasId)
    entry.unsubscribe()
    this.deps.observer.rooms(this.loaded.size)
    await entry.room.close()
  }
}

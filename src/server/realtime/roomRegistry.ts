import type { Role } from '../../protocol/roles.js'
import { RoomHost, type RoomHostDeps } from './roomHost.js'

/**
 * canvasId → the RoomHost serving it here. A room loads on first use (concurrent joiners share
 * the load), stays while it has sockets and a grace period after, then is snapshotted and evicted.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Promise<RoomHost>>()
  private readonly loaded = new Map<string, RoomHost>()

  constructor(private readonly deps: RoomHostDeps) {}

  get size(): number {
    return this.loaded.size
  }

  acquire(canvasId: string): Promise<RoomHost> {
    let pending = this.rooms.get(canvasId)
    if (!pending) {
      const room = new RoomHost(canvasId, this.deps)
      pending = room.load().then(
        () => {
          this.loaded.set(canvasId, room)
          this.deps.metrics.rooms.set(this.loaded.size)
          room.emptySince = this.deps.now()
          return room
        },
        (err: unknown) => {
          this.rooms.delete(canvasId)
          throw err
        },
      )
      this.rooms.set(canvasId, pending)
    }
    return pending.then((room) => {
      // Refresh the grace period so a room is not evicted between acquire and join.
      if (room.connections.size === 0) room.emptySince = this.deps.now()
      return room
    })
  }

  /** A room already loaded here, without loading one. */
  peek(canvasId: string): RoomHost | undefined {
    return this.loaded.get(canvasId)
  }

  setRole(canvasId: string, userId: string, role: Role | null): void {
    this.loaded.get(canvasId)?.setRole(userId, role)
  }

  /** Evicts rooms empty for longer than `ttlMs`. */
  async evictIdle(ttlMs: number): Promise<void> {
    const now = this.deps.now()
    for (const [canvasId, room] of this.loaded) {
      if (room.connections.size > 0 || room.emptySince === undefined || now - room.emptySince < ttlMs)
        continue
      this.loaded.delete(canvasId)
      this.rooms.delete(canvasId)
      await room.close()
    }
    this.deps.metrics.rooms.set(this.loaded.size)
  }

  async closeAll(): Promise<void> {
    const rooms = [...this.loaded.values()]
    this.loaded.clear()
    this.rooms.clear()
    await Promise.all(rooms.map((r) => r.close()))
    this.deps.metrics.rooms.set(0)
  }
}

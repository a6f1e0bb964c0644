/**
 * Open WebSocket connections per user over the whole deployment, for the per-user cap [I1]:
 * behind several instances a user must not hold the cap on each of them. Counted where every
 * instance sees it (the SQLite file of BUS=sqlite, Redis for BUS=redis), per instance, so a dead
 * instance's sockets stop counting once its heartbeat expires (BUS_PRESENCE_EXPIRY_MS), which
 * is when its clients come back through the others.
 */
export interface SocketCounts {
  /** Counts one more socket of `userId` on this instance unless the deployment holds `cap` already. */
  tryAdd(userId: string, cap: number): Promise<boolean>
  /** One socket of `userId` on this instance closed. */
  remove(userId: string): void
  close(): Promise<void>
}

/** One process (BUS=memory), and the fallback of the shared ones while their storage fails. */
export class LocalSocketCounts implements SocketCounts {
  private readonly counts = new Map<string, number>()

  tryAdd(userId: string, cap: number): Promise<boolean> {
    const count = this.counts.get(userId) ?? 0
    if (count >= cap) return Promise.resolve(false)
    this.counts.set(userId, count + 1)
    return Promise.resolve(true)
  }

  remove(userId: string): void {
    const count = (this.counts.get(userId) ?? 1) - 1
    if (count <= 0) this.counts.delete(userId)
    else this.counts.set(userId, count)
  }

  close(): Promise<void> {
    this.counts.clear()
    return Promise.resolve()
  }
}

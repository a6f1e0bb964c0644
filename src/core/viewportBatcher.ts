import type { UserViewport, ViewportsMessage } from '../protocol/messages.js'

/**
 * What each user of one room sees of the canvas, coalesced between ticks like cursors
 * (docs/spec/room.md, VIEW1–VIEW3). The shell owns the timer; this keeps the latest viewport per
 * user, who moved since the last drain, and every current one for a member who just joined (so
 * they can follow someone who has not moved since). Presence, never logged.
 */
export class ViewportBatcher {
  private readonly latest = new Map<string, UserViewport>()
  private readonly moved = new Set<string>()

  /** A later viewport of the same user replaces the earlier one [VIEW1]. */
  move(viewport: UserViewport): void {
    this.latest.set(viewport.userId, viewport)
    this.moved.add(viewport.userId)
  }

  /** The user left: their viewport is neither sent nor listed again [VIEW2]. */
  remove(userId: string): void {
    this.latest.delete(userId)
    this.moved.delete(userId)
  }

  /** Everyone's latest viewport, for a member who just joined [VIEW3]. */
  all(): UserViewport[] {
    return [...this.latest.values()]
  }

  /** The users who moved since the last drain, each once at their latest; undefined if none [VIEW1]. */
  drain(): ViewportsMessage | undefined {
    if (this.moved.size === 0) return undefined
    const viewports: UserViewport[] = []
    for (const userId of this.moved) {
      const viewport = this.latest.get(userId)
      if (viewport !== undefined) viewports.push(viewport)
    }
    this.moved.clear()
    return { type: 'viewports', viewports }
  }
}

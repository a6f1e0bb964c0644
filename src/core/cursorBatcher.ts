import type { CursorPosition, CursorsMessage } from '../protocol/messages.js'

/**
 * Cursor moves of one room, coalesced between ticks (docs/spec/room.md, CUR1–CUR4). The shell owns
 * the timer and calls drain on each tick; this only remembers the latest position per user and
 * who moved since the last drain. Presence is never logged.
 */
export class CursorBatcher {
  private readonly latest = new Map<string, CursorPosition>()
  private readonly moved = new Set<string>()

  /** A later move of the same user replaces the earlier one [CUR1]. */
  move(userId: string, x: number, y: number): void {
    this.latest.set(userId, { userId, x, y })
    this.moved.add(userId)
  }

  /** The user left: their cursor is neither sent nor listed again [CUR3]. */
  remove(userId: string): void {
    this.latest.delete(userId)
    this.moved.delete(userId)
  }

  /** The latest position of everyone who has moved, e.g. for a member who just joined [CUR4]. */
  positions(): CursorPosition[] {
    return [...this.latest.values()]
  }

  /** The users who moved since the last drain, each once at their latest position; undefined if none [CUR2]. */
  drain(): CursorsMessage | undefined {
    if (this.moved.size === 0) return undefined
    const cursors: CursorPosition[] = []
    for (const userId of this.moved) {
      const position = this.latest.get(userId)
      if (position !== undefined) cursors.push(position)
    }
    this.moved.clear()
    return { type: 'cursors', cursors }
  }
}

import type { PresenceUser, UserSelection } from '../protocol/messages.js'

/**
 * Who is in a canvas on the other instances, as their buses last said (BUS5, BUS6): one list per
 * instance, each replacing the previous. Pure bookkeeping; RoomPresence turns the changes into
 * user-connected / user-disconnected frames.
 */
export class RemotePresence {
  /** instanceId → userId → user. */
  private readonly bySource = new Map<string, Map<string, PresenceUser>>()
  /** userId → selected ids on another instance (non-empty). */
  private readonly selections = new Map<string, string[]>()

  has(userId: string): boolean {
    for (const users of this.bySource.values()) if (users.has(userId)) return true
    return false
  }

  /** Replaces `source`'s list; returns the users that appeared and those that went, everywhere. */
  replace(source: string, users: readonly PresenceUser[]): { joined: PresenceUser[]; left: PresenceUser[] } {
    const before = this.bySource.get(source) ?? new Map<string, PresenceUser>()
    const after = new Map(users.map((u) => [u.userId, u]))
    if (after.size > 0) this.bySource.set(source, after)
    else this.bySource.delete(source)
    const joined = users.filter((u) => !before.has(u.userId) && !this.hasElsewhere(u.userId, source, before))
    const left = [...before.values()].filter((u) => !after.has(u.userId) && !this.has(u.userId))
    for (const { userId } of left) this.selections.delete(userId)
    return { joined, left }
  }

  users(): PresenceUser[] {
    const all = new Map<string, PresenceUser>()
    for (const users of this.bySource.values()) for (const [id, u] of users) all.set(id, u)
    return [...all.values()]
  }

  setSelections(selections: readonly UserSelection[]): void {
    for (const { userId, ids } of selections) {
      if (ids.length === 0) this.selections.delete(userId)
      else this.selections.set(userId, [...ids])
    }
  }

  allSelections(): UserSelection[] {
    return [...this.selections].map(([userId, ids]) => ({ userId, ids: [...ids] }))
  }

  /** Whether another source than `source` (before this change) lists the user. */
  private hasElsewhere(userId: string, source: string, before: Map<string, PresenceUser>): boolean {
    for (const [other, users] of this.bySource) {
      if (other !== source && users.has(userId)) return true
    }
    return before.has(userId)
  }
}

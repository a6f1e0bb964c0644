import { CursorBatcher } from '../core/cursorBatcher.js'
import { ViewportBatcher } from '../core/viewportBatcher.js'
import { can } from '../core/permissions.js'
import type { Ephemeral } from '../log/canvasBus.js'
import type {
  CursorPosition,
  PresenceUser,
  PreviewObject,
  PreviewsMessage,
  UserViewport,
} from '../protocol/messages.js'
import { PresenceAnnouncer } from './presenceAnnouncer.js'
import { RemotePresence } from './remotePresence.js'
import type { RoomClient, RoomMember } from './roomClient.js'
import type { RoomLimits, RoomObserver } from './roomLimits.js'
import type { Seat } from './seat.js'

/**
 * Who is in a room and what they point at: presence (one per user however many tabs), cursors
 * and selections. None of it is logged. Cursors and selections go out coalesced on one tick,
 * which runs only while someone moves.
 *
 * Across instances (BUS=sqlite|redis): this room's users, cursor batches and selection changes
 * are published on the bus; the other instances' arrive through `fromElsewhere` and reach the
 * seats here as the same frames. A user is present while any instance has a seat of theirs.
 */
export class RoomPresence {
  /** userId → that user's seats here [PRES1]. */
  private readonly byUser = new Map<string, Set<Seat>>()
  private readonly cursors = new CursorBatcher()
  private cursorTimer: NodeJS.Timeout | undefined
  /** userId → selected object ids (non-empty). */
  private readonly selections = new Map<string, readonly string[]>()
  /** Users whose selection changed since the last tick. */
  private readonly selectionsChanged = new Set<string>()
  private readonly remote = new RemotePresence()
  /** Set while this room's user list waits to be published (coalesced on the cursor tick). */
  private presenceTimer: NodeJS.Timeout | undefined
  /** userId → the objects of that user's drag in progress (non-empty) [PROTO18]. */
  private readonly previews = new Map<string, readonly PreviewObject[]>()
  /** Users whose preview changed since the last tick (an ended one goes out once, empty). */
  private readonly previewsChanged = new Set<string>()
  /** What this instance's users see of the canvas, coalesced like cursors [PROTO19]. */
  private readonly viewports = new ViewportBatcher()
  /** The other instances' users' latest viewports, for members who join here [VIEW3]. */
  private readonly remoteViewports = new Map<string, UserViewport>()
  /** Joins and leaves to this room's seats, coalesced per tick [PRES4]. */
  private readonly announcer: PresenceAnnouncer
  /**
   * Motion from the other instances (latest per user), merged into this room's tick frame: a
   * receiver gets one motion frame per tick however many instances its canvas spans [CUR5].
   */
  private readonly remoteMotion = {
    cursors: new Map<string, CursorPosition>(),
    previews: new Map<string, PreviewObject[]>(),
    viewports: new Map<string, UserViewport>(),
  }

  constructor(
    private readonly seats: ReadonlySet<Seat>,
    private readonly limits: Pick<RoomLimits, 'cursorTickMs' | 'slowReceiverBytes'>,
    private readonly observer: RoomObserver,
    /** Tells the other instances (the bus); unset: this room is alone. */
    private readonly publish: (message: Ephemeral) => void = () => undefined,
  ) {
    this.announcer = new PresenceAnnouncer(seats, limits.cursorTickMs, (n) => observer.frames(n))
  }

  /** Presence, cursors and selections of another instance's seats in this canvas. */
  fromElsewhere(message: Ephemeral, source: string): void {
    switch (message.kind) {
      case 'presence': {
        const { joined, left } = this.remote.replace(source, message.users)
        for (const user of joined) {
          if (this.byUser.has(user.userId)) continue
          this.announcer.announce({
            type: 'user-connected',
            userId: user.userId,
            username: user.username,
            color: user.color,
          })
        }
        for (const { userId, username } of left) {
          if (this.byUser.has(userId)) continue
          this.cursors.remove(userId)
          this.remoteViewports.delete(userId)
          this.remoteMotion.cursors.delete(userId)
          this.remoteMotion.viewports.delete(userId)
          this.announcer.announce({ type: 'user-disconnected', userId, username })
        }
        return
      }
      case 'cursors':
        for (const c of message.cursors) this.remoteMotion.cursors.set(c.userId, c)
        this.motionFromElsewhere()
        return
      case 'previews':
        // Motion, like cursors: skipped for a receiver that falls behind; the drop's commit follows.
        for (const p of message.previews) this.remoteMotion.previews.set(p.userId, p.objects)
        this.motionFromElsewhere()
        return
      case 'viewports':
        for (const v of message.viewports) {
          this.remoteViewports.set(v.userId, v)
          this.remoteMotion.viewports.set(v.userId, v)
        }
        this.motionFromElsewhere()
        return
      case 'selections': {
        this.remote.setSelections(message.selections)
        const frame = Buffer.from(JSON.stringify({ type: 'selections', selections: message.selections }))
        for (const seat of this.seats) seat.deliver(frame)
        this.observer.frames(this.seats.size)
        return
      }
      default:
        message satisfies never
    }
  }

  /** A seat joined; the others hear of its user only if it is that user's first [PRES3]. */
  add(seat: Seat): void {
    const { member } = seat
    let seats = this.byUser.get(member.userId)
    if (!seats) {
      seats = new Set()
      this.byUser.set(member.userId, seats)
      if (!this.remote.has(member.userId)) {
        this.announcer.announce(
          { type: 'user-connected', userId: member.userId, username: member.username, color: member.color },
          seat,
        )
      }
      this.presenceChanged()
    }
    seats.add(seat)
    this.announcer.seatJoined(seat)
  }

  /** A seat left; its user is gone for the others when it was the last one. */
  remove(seat: Seat): void {
    const { member } = seat
    this.announcer.seatLeft(seat)
    const seats = this.byUser.get(member.userId)
    if (!seats?.delete(seat) || seats.size > 0) return
    this.byUser.delete(member.userId)
    this.cursors.remove(member.userId)
    this.viewports.remove(member.userId)
    if (this.selections.delete(member.userId)) {
      // The others still show it: tell them it is gone on the next tick.
      this.selectionsChanged.add(member.userId)
      this.startTick()
    }
    if (this.previews.delete(member.userId)) {
      // A drag that never ended (the tab closed mid-drag) ends for the others [PROTO18].
      this.previewsChanged.add(member.userId)
      this.startTick()
    }
    this.presenceChanged()
    // Still in the canvas on another instance: present for everyone.
    if (this.remote.has(member.userId)) return
    this.announcer.announce({ type: 'user-disconnected', userId: member.userId, username: member.username })
  }

  seatsOf(userId: string): Seat[] {
    return [...(this.byUser.get(userId) ?? [])]
  }

  users(): PresenceUser[] {
    const users: PresenceUser[] = this.remote.users().filter((u) => !this.byUser.has(u.userId))
    for (const seats of this.byUser.values()) {
      const member = seats.values().next().value?.member
      if (member) users.push({ userId: member.userId, username: member.username, color: member.color })
    }
    return users
  }

  moveCursor(member: RoomMember, x: number, y: number): void {
    if (!can(member.role, 'move-cursor')) return
    this.cursors.move(member.userId, x, y)
    this.startTick()
  }

  /** What the user sees of the canvas now (world units); sent coalesced on the tick [PROTO19]. */
  moveViewport(member: RoomMember, x: number, y: number, width: number, height: number): void {
    if (!can(member.role, 'move-cursor')) return
    this.viewports.move({ userId: member.userId, x, y, width, height })
    this.startTick()
  }

  /** The user's latest selection replaces the earlier one; sent coalesced on the tick. */
  select(member: RoomMember, ids: readonly string[]): void {
    if (!can(member.role, 'move-cursor')) return
    const previous = this.selections.get(member.userId) ?? []
    if (previous.length === ids.length && previous.every((id, i) => id === ids[i])) return
    if (ids.length === 0) this.selections.delete(member.userId)
    else this.selections.set(member.userId, [...ids])
    this.selectionsChanged.add(member.userId)
    this.startTick()
  }

  /**
   * The user's drag in progress replaces the earlier one; an empty list ends it. Checked against
   * edit-objects by the room before it gets here. Sent coalesced on the tick, like cursors.
   */
  preview(member: RoomMember, objects: readonly PreviewObject[]): void {
    if (objects.length === 0 && !this.previews.has(member.userId)) return
    if (objects.length === 0) this.previews.delete(member.userId)
    else this.previews.set(member.userId, objects)
    this.previewsChanged.add(member.userId)
    this.startTick()
  }

  /** Everyone's current selection, to a client that just joined. */
  sendSelections(client: RoomClient): void {
    const selections = [
      ...this.remote.allSelections().filter((s) => !this.selections.has(s.userId)),
      ...[...this.selections].map(([userId, ids]) => ({ userId, ids: [...ids] })),
    ]
    if (selections.length === 0) return
    client.send({ type: 'selections', selections })
  }

  /** Everyone's latest viewport, to a client that just joined, so it can follow them at once [VIEW3]. */
  sendViewports(client: RoomClient): void {
    const viewports = [
      ...[...this.remoteViewports.values()].filter((v) => !this.byUser.has(v.userId)),
      ...this.viewports.all(),
    ]
    if (viewports.length === 0) return
    client.send({ type: 'viewports', viewports })
  }

  /** Joins and leaves still waiting for their tick go out now, ahead of what follows them. */
  flushAnnouncements(): void {
    this.announcer.flushPending()
  }

  close(): void {
    this.stopTick()
    this.announcer.close()
    if (this.presenceTimer !== undefined) {
      clearTimeout(this.presenceTimer)
      this.presenceTimer = undefined
      this.publishPresence()
    }
  }

  private stopTick(): void {
    if (this.cursorTimer !== undefined) clearInterval(this.cursorTimer)
    this.cursorTimer = undefined
  }

  /** Joins and leaves of a tick go to the other instances as one list (O(1) messages per tick). */
  private presenceChanged(): void {
    this.presenceTimer ??= setTimeout(() => {
      this.presenceTimer = undefined
      this.publishPresence()
    }, this.limits.cursorTickMs)
  }

  private publishPresence(): void {
    const users: PresenceUser[] = []
    for (const seats of this.byUser.values()) {
      const member = seats.values().next().value?.member
      if (member) users.push({ userId: member.userId, username: member.username, color: member.color })
    }
    this.publish({ kind: 'presence', users })
  }

  private startTick(): void {
    this.cursorTimer ??= setInterval(() => this.tick(), this.limits.cursorTickMs)
  }

  /**
   * Another instance's motion goes out at once when this room's tick is idle (it has waited for
   * its own instance's tick already), else in the next tick's frame with this instance's.
   */
  private motionFromElsewhere(): void {
    if (this.cursorTimer !== undefined) return
    this.tick()
    this.startTick()
  }

  private tick(): void {
    this.flushSelections()
    const previews = this.drainPreviews()
    const cursors = this.cursors.drain()
    const viewports = this.viewports.drain()
    if (previews) this.publish({ kind: 'previews', previews: previews.previews })
    if (cursors) this.publish({ kind: 'cursors', cursors: cursors.cursors })
    if (viewports) this.publish({ kind: 'viewports', viewports: viewports.viewports })
    const { remoteMotion } = this
    const merged = [
      withRemote('previews', previews?.previews, remoteMotion.previews, (userId, objects) => ({
        userId,
        objects,
      })),
      withRemote('cursors', cursors?.cursors, remoteMotion.cursors, (_, c) => c),
      withRemote('viewports', viewports?.viewports, remoteMotion.viewports, (_, v) => v),
    ].filter((m) => m !== undefined)
    if (merged.length === 0) {
      // Nothing moved for a whole tick: stop until someone does.
      this.stopTick()
      return
    }
    // One frame for all: a drag moves the cursor and the shape together.
    const message = merged.length === 1 ? merged[0] : { type: 'batch', messages: merged }
    this.deliverCursors(Buffer.from(JSON.stringify(message)))
  }

  private deliverCursors(frame: Buffer): void {
    let frames = 0
    for (const seat of this.seats) {
      // Cursors are the first thing a falling-behind receiver stops getting [W4].
      if (seat.client.bufferedAmount > this.limits.slowReceiverBytes) continue
      seat.deliver(frame)
      frames++
    }
    this.observer.frames(frames)
  }

  private drainPreviews(): PreviewsMessage | undefined {
    if (this.previewsChanged.size === 0) return undefined
    const previews = [...this.previewsChanged].map((userId) => ({
      userId,
      objects: [...(this.previews.get(userId) ?? [])],
    }))
    this.previewsChanged.clear()
    return { type: 'previews', previews }
  }

  /** Selections are state, not motion: unlike cursors they are not skipped for slow receivers. */
  private flushSelections(): void {
    if (this.selectionsChanged.size === 0) return
    const selections = [...this.selectionsChanged].map((userId) => ({
      userId,
      ids: [...(this.selections.get(userId) ?? [])],
    }))
    this.selectionsChanged.clear()
    this.publish({ kind: 'selections', selections })
    const frame = Buffer.from(JSON.stringify({ type: 'selections', selections }))
    for (const seat of this.seats) seat.deliver(frame)
    this.observer.frames(this.seats.size)
  }
}

/**
 * This tick's message of one kind: the local items, then the other instances' latest per user
 * (the map is emptied); undefined when there is neither.
 */
function withRemote<K extends string, V, T>(
  type: K,
  local: readonly T[] | undefined,
  remote: Map<string, V>,
  item: (userId: string, value: V) => T,
): ({ type: K } & Record<K, T[]>) | undefined {
  if (local === undefined && remote.size === 0) return undefined
  const items = [...(local ?? [])]
  for (const [userId, value] of remote) items.push(item(userId, value))
  remote.clear()
  return { type, [type]: items } as { type: K } & Record<K, T[]>
}

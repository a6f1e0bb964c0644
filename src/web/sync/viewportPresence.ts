import type { UserViewport, ViewportsMessage } from '../../protocol/messages.js'

/**
 * What each person sees of the canvas, so one can follow another (issue 28, "Comfort"; docs/
 * protocol.md `viewport`, PROTO19). Mine goes out throttled like the cursor, always the latest,
 * and again after a reconnect; the others' come from the server's `viewports` messages, never my
 * own. Presence lives with a socket: a lost one empties it.
 */

export interface ViewRect {
  x: number
  y: number
  width: number
  height: number
}

export interface ViewportPresenceOptions {
  /** Sends a frame on a joined socket; false when there is none. */
  send: (message: object) => boolean
  now: () => number
  /** At most one viewport message per this many ms (the cursor's interval). */
  intervalMs: number
}

// The protocol's bounds (OBJECT_LIMITS.coordinate, MESSAGE_LIMITS.viewportSize), repeated here so
// the browser bundle does not pull in the TypeBox schemas.
const MAX_COORDINATE = 10_000_000
const MAX_SIZE = 20_000_000

/** A rect the server accepts: finite, coordinates within ±1e7, sizes within 1..2e7; else undefined. */
export function wireViewport(rect: ViewRect): ViewRect | undefined {
  const { x, y, width, height } = rect
  if (![x, y, width, height].every(Number.isFinite)) return undefined
  const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v))
  // Rounded: a follower needs no sub-unit precision, and small frames are cheap to relay.
  const r = (v: number) => Math.round(v * 100) / 100
  return {
    x: r(clamp(x, -MAX_COORDINATE, MAX_COORDINATE)),
    y: r(clamp(y, -MAX_COORDINATE, MAX_COORDINATE)),
    width: r(clamp(width, 1, MAX_SIZE)),
    height: r(clamp(height, 1, MAX_SIZE)),
  }
}

export class ViewportPresence {
  private myUserId: string | undefined
  private joined = false
  private readonly others = new Map<string, UserViewport>()
  private copy: ReadonlyMap<string, UserViewport> | undefined
  private wanted: ViewRect | undefined
  /** What this socket last sent: sent again after a reconnect, not repeated while unchanged. */
  private latest: ViewRect | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private lastSentAt = -Infinity

  constructor(private readonly options: ViewportPresenceOptions) {}

  /** Other users' viewports by userId, never my own; the same Map until one changes. */
  get viewports(): ReadonlyMap<string, UserViewport> {
    return (this.copy ??= new Map(this.others))
  }

  join(myUserId: string): void {
    this.myUserId = myUserId
    this.joined = true
    // The server forgot us with the old socket: say where we look again.
    this.wanted ??= this.latest
    this.sendSoon()
  }

  leave(): void {
    this.joined = false
    if (this.others.size > 0) this.copy = undefined
    this.others.clear()
  }

  /** True when the viewports changed (the engine publishes a new snapshot). */
  handle(message: ViewportsMessage): boolean {
    let changed = false
    for (const v of message.viewports) {
      if (v.userId === this.myUserId) continue
      this.others.set(v.userId, v)
      changed = true
    }
    if (changed) this.copy = undefined
    return changed
  }

  /** The user left: nobody can follow them any more. */
  forget(userId: string): boolean {
    if (!this.others.delete(userId)) return false
    this.copy = undefined
    return true
  }

  /** Where I look now (world units): throttled, always the latest, unchanged views not resent. */
  move(rect: ViewRect): void {
    const next = wireViewport(rect)
    if (next === undefined || sameRect(next, this.latest)) return
    this.latest = next
    this.wanted = next
    this.sendSoon()
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private sendSoon(): void {
    if (!this.joined || this.wanted === undefined || this.timer !== undefined) return
    const waitMs = this.lastSentAt + this.options.intervalMs - this.options.now()
    if (waitMs <= 0) return this.sendNow()
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.sendNow()
    }, waitMs)
  }

  private sendNow(): void {
    const rect = this.wanted
    if (!this.joined || rect === undefined) return
    if (!this.options.send({ type: 'viewport', ...rect })) return
    this.wanted = undefined
    this.lastSentAt = this.options.now()
  }
}

function sameRect(a: ViewRect, b: ViewRect | undefined): boolean {
  return b !== undefined && a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height
}

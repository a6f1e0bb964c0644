import { encodeFrame } from './fanOut.js'
import type { Seat } from './seat.js'

/**
 * Joins and leaves (`user-connected`, `user-disconnected`) told to a room's seats, coalesced
 * [PRES4]: the first of a quiet room goes out at once; those that follow within a tick wait for
 * its end and go out together, one frame per seat. A crowd joining costs each member one frame
 * per tick however many join, not one per join (2,000 joins over two instances were 1.75 million
 * frames, and took 167 s).
 *
 * A seat that joins while announcements wait already has their effect in its `users` list, so it
 * gets only those queued after it, and never its own [PRES1]: each seat remembers how many had
 * been queued when it joined. Those tails are encoded per joiner, which costs the square of the
 * joins in one frame: past MAX_PENDING the frame goes out early.
 */
const MAX_PENDING = 256

export class PresenceAnnouncer {
  /** Encoded messages waiting for the tick's end. */
  private pending: string[] = []
  /** Messages ever queued: the position a seat joined at. */
  private queued = 0
  /** Seats that joined while messages were waiting, and where: they skip what came before. */
  private readonly joinedAt = new Map<Seat, number>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly seats: ReadonlySet<Seat>,
    private readonly tickMs: number,
    private readonly frames: (count: number) => void,
  ) {}

  /** Tells every seat but `origin` (the seat whose join this is). */
  announce(message: object, origin?: Seat): void {
    const json = JSON.stringify(message)
    if (this.timer === undefined) {
      // A quiet room: at once; what follows within the tick waits for its end.
      this.timer = setTimeout(() => this.tick(), this.tickMs)
      const frame = Buffer.from(json)
      let count = 0
      for (const seat of this.seats) {
        if (seat === origin) continue
        seat.deliver(frame)
        count++
      }
      this.frames(count)
      return
    }
    // Before this one is queued, so `origin` (not yet marked as joined) is not sent its own.
    if (this.pending.length >= MAX_PENDING) this.flush()
    this.pending.push(json)
    this.queued++
  }

  /** A seat joined (after its own announcement, if any): it knows everything queued so far. */
  seatJoined(seat: Seat): void {
    if (this.pending.length > 0) this.joinedAt.set(seat, this.queued)
  }

  seatLeft(seat: Seat): void {
    this.joinedAt.delete(seat)
  }

  /**
   * Sends what waits now, before something that happened after it (a commit, a rename), so no
   * member sees a write before the leave or join that preceded it. The tick goes on.
   */
  flushPending(): void {
    if (this.pending.length > 0) this.flush()
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.pending = []
    this.joinedAt.clear()
  }

  private tick(): void {
    if (this.pending.length === 0) {
      // A tick without news: the next announcement goes out at once again.
      this.timer = undefined
      return
    }
    this.timer = setTimeout(() => this.tick(), this.tickMs)
    this.flush()
  }

  private flush(): void {
    const pending = this.pending
    const first = this.queued - pending.length
    this.pending = []
    const shared = encodeFrame(pending)
    let count = 0
    for (const seat of this.seats) {
      const at = this.joinedAt.get(seat)
      if (at === undefined || at <= first) {
        seat.deliver(shared)
        count++
      } else if (at - first < pending.length) {
        seat.deliver(encodeFrame(pending.slice(at - first)))
        count++
      }
    }
    this.joinedAt.clear()
    this.frames(count)
  }
}

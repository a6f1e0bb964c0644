import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PresenceAnnouncer } from '../../src/rooms/presenceAnnouncer.js'
import type { RoomClient } from '../../src/rooms/roomClient.js'
import { Seat } from '../../src/rooms/seat.js'

// [PRES4] Joins and leaves reach a room's seats coalesced: one frame per seat per tick (or per
// 256 announcements), and a seat that joined while announcements waited gets only those queued
// after it, never its own [PRES1]. Timers are Vitest's fake ones: ticks pass when a test says so.

class Client implements RoomClient {
  readonly isOpen = true
  readonly bufferedAmount = 0
  /** Frames as sent: each a list of messages (a batch unwrapped). */
  readonly frames: { type: string; userId?: string }[][] = []
  deliver(frame: Buffer): void {
    const message = JSON.parse(frame.toString()) as { type: string; messages?: { type: string }[] }
    this.frames.push(message.type === 'batch' ? (message.messages ?? []) : [message])
  }
  send(): void {}
  sendState(): void {}
  evict(): void {}
}

const TICK_MS = 20
const announcers: PresenceAnnouncer[] = []
beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  for (const a of announcers.splice(0)) a.close()
  vi.useRealTimers()
})

function room() {
  const seats = new Set<Seat>()
  let frames = 0
  const announcer = new PresenceAnnouncer(seats, TICK_MS, (n) => (frames += n))
  announcers.push(announcer)
  /** A seat joins as the room does it: its news first, then the seat takes its place. */
  const join = (n: number, announce = true) => {
    const seat = new Seat(new Client(), {
      userId: `u${n}`,
      username: `user ${n}`,
      color: '#123456',
      role: 'editor',
    })
    seats.add(seat)
    if (announce) announcer.announce({ type: 'user-connected', userId: `u${n}` }, seat)
    announcer.seatJoined(seat)
    return seat
  }
  const leave = (seat: Seat) => {
    seats.delete(seat)
    announcer.seatLeft(seat)
    announcer.announce({ type: 'user-disconnected', userId: seat.member.userId })
  }
  const framesOf = (seat: Seat) => (seat.client as Client).frames
  return { join, leave, framesOf, sent: () => frames, announcer }
}

const ids = (frames: { userId?: string }[][]) => frames.map((f) => f.map((m) => m.userId))
const userIds = (seats: readonly Seat[]) => seats.map((s) => s.member.userId)

describe('PresenceAnnouncer', () => {
  it('[PRES4] when a quiet room gets a join, then the others hear of it at once and the joiner does not', () => {
    const { join, framesOf, sent } = room()
    const [a, b] = [join(1, false), join(2, false)]
    const c = join(3)
    expect(ids(framesOf(a))).toEqual([['u3']])
    expect(ids(framesOf(b))).toEqual([['u3']])
    expect(framesOf(c)).toEqual([])
    expect(sent()).toBe(2)
  })

  it('[PRES4] when 200 join within a tick, then each earlier member gets one more frame with all of them at its end, and each joiner one frame with those after it', () => {
    const { join, framesOf, sent } = room()
    const early = join(0, false)
    const first = join(1)
    const joiners = Array.from({ length: 200 }, (_, i) => join(i + 2))
    expect(ids(framesOf(early))).toEqual([['u1']])
    vi.advanceTimersByTime(TICK_MS)
    expect(ids(framesOf(early))).toEqual([['u1'], userIds(joiners)])
    // The first joiner's news went at once; it hears of all 200 later ones in the one frame.
    expect(ids(framesOf(first))).toEqual([userIds(joiners)])
    for (const [i, seat] of joiners.entries()) {
      const after = userIds(joiners.slice(i + 1))
      expect(ids(framesOf(seat))).toEqual(after.length > 0 ? [after] : [])
    }
    // 1 + 1 + 1 at once, then one per seat but the last joiner, which has nothing to hear.
    expect(sent()).toBe(1 + 201)
  })

  it('[PRES4] when a write follows a leave that waits for its tick, then flushPending sends the leave first, and the tick sends nothing again', () => {
    const { join, leave, framesOf, announcer } = room()
    const watcher = join(0, false)
    join(1)
    leave(join(2))
    expect(ids(framesOf(watcher))).toEqual([['u1']])
    announcer.flushPending()
    expect(ids(framesOf(watcher))).toEqual([['u1'], ['u2', 'u2']])
    vi.advanceTimersByTime(TICK_MS * 3)
    expect(framesOf(watcher)).toHaveLength(2)
  })

  it('[PRES4] when 600 join within a tick, then the frames go out every 256 announcements: 4 frames for a member, not 600', () => {
    const { join, framesOf } = room()
    const early = join(0, false)
    join(1)
    const joiners = Array.from({ length: 600 }, (_, i) => join(i + 2))
    vi.advanceTimersByTime(TICK_MS)
    expect(framesOf(early).map((f) => f.length)).toEqual([1, 256, 256, 88])
    expect(ids(framesOf(early)).flat()).toEqual(['u1', ...userIds(joiners)])
    // A joiner of the second batch: the rest of its batch, then the third.
    const seat = joiners[300] as Seat
    expect(ids(framesOf(seat))).toEqual([userIds(joiners.slice(301, 512)), userIds(joiners.slice(512))])
  })

  it('[PRES4] when someone joins and leaves while a newcomer arrives, then every seat ends knowing the same, and one who left gets nothing more', () => {
    const { join, leave, framesOf } = room()
    const watcher = join(0, false)
    join(1)
    const gone = join(2)
    const late = join(3)
    leave(gone)
    const latest = join(4)
    vi.advanceTimersByTime(TICK_MS)
    expect(ids(framesOf(watcher))).toEqual([['u1'], ['u2', 'u3', 'u2', 'u4']])
    // u3 joined after u2's arrival: it hears only that u2 left, then that u4 came.
    expect(ids(framesOf(late))).toEqual([['u2', 'u4']])
    expect(framesOf(latest)).toEqual([])
    expect(framesOf(gone)).toEqual([])
  })

  it('[PRES4] when a tick passes without news, then the next announcement goes out at once again', () => {
    const { join, framesOf } = room()
    const watcher = join(0, false)
    join(1)
    join(2)
    vi.advanceTimersByTime(TICK_MS)
    expect(ids(framesOf(watcher))).toEqual([['u1'], ['u2']])
    // The tick after the flush finds nothing and stops; the next join is quiet again.
    vi.advanceTimersByTime(TICK_MS)
    join(3)
    expect(ids(framesOf(watcher))).toEqual([['u1'], ['u2'], ['u3']])
  })
})

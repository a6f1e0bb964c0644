import { afterEach, describe, expect, it } from 'vitest'
import type { Ephemeral } from '../../src/log/canvasBus.js'
import type { RoomClient } from '../../src/rooms/roomClient.js'
import { RoomPresence } from '../../src/rooms/roomPresence.js'
import { Seat } from '../../src/rooms/seat.js'

class Client implements RoomClient {
  readonly isOpen = true
  readonly bufferedAmount = 0
  readonly frames: unknown[] = []
  deliver(frame: Buffer): void {
    this.frames.push(JSON.parse(frame.toString()))
  }
  send(message: object): void {
    this.frames.push(message)
  }
  sendState(): void {}
  evict(): void {}
}

/** A seat's client that keeps its frames in a list shared by the room's seats, parsed when read. */
class Recorder extends Client {
  constructor(private readonly into: Buffer[]) {
    super()
  }
  override deliver(frame: Buffer): void {
    this.into.push(frame)
  }
}

/** The messages in `frames`, batches unwrapped. */
function messagesOf(frames: readonly Buffer[]): object[] {
  return frames.flatMap((frame) => {
    const message = JSON.parse(frame.toString()) as { type: string; messages?: object[] }
    return message.type === 'batch' ? (message.messages ?? []) : [message]
  })
}

const TICK_MS = 5
const presences: RoomPresence[] = []
afterEach(() => {
  for (const p of presences.splice(0)) p.close()
})

const member = (n: number) => ({
  userId: `u${n}`,
  username: `user ${n}`,
  color: '#123456',
  role: 'editor' as const,
})

function presence() {
  const seats = new Set<Seat>()
  /** The frames the seats' clients were sent. */
  const frames: Buffer[] = []
  const published: Ephemeral[] = []
  const observer = {
    frames: () => undefined,
    fanOutDelay: () => undefined,
    commitDelay: () => undefined,
    rooms: () => undefined,
  }
  const p = new RoomPresence(
    seats,
    { cursorTickMs: TICK_MS, slowReceiverBytes: 1_000_000 },
    observer,
    (message) => published.push(message),
  )
  presences.push(p)
  const join = (n: number) => {
    const seat = new Seat(new Recorder(frames), member(n))
    seats.add(seat)
    p.add(seat)
    return seat
  }
  return { p, seats, frames, published, join }
}

describe('RoomPresence across instances', () => {
  it('[BUS5] when 2,000 members join within one tick, then the other instances get one presence message, not one per join', async () => {
    const { published, join } = presence()
    for (let n = 0; n < 2_000; n++) join(n)
    await expect.poll(() => published.length).toBe(1)
    const [message] = published
    expect(message?.kind === 'presence' && message.users.length).toBe(2_000)
  })

  it('[BUS5] when another instance lists users, then they are present here, announced once, and gone when its list drops them', async () => {
    const { p, frames, join } = presence()
    join(1)
    frames.length = 0
    p.fromElsewhere({ kind: 'presence', users: [member(2), member(1)] }, 'other')
    // u1 is here already: only u2 is new to this room's clients.
    await expect
      .poll(() => messagesOf(frames))
      .toEqual([{ type: 'user-connected', userId: 'u2', username: 'user 2', color: '#123456' }])
    expect(
      p
        .users()
        .map((u) => u.userId)
        .sort(),
    ).toEqual(['u1', 'u2'])
    frames.length = 0
    p.fromElsewhere({ kind: 'presence', users: [] }, 'other')
    // Within the tick of the first announcement: it waits for the tick's end [PRES4].
    await expect
      .poll(() => messagesOf(frames))
      .toEqual([{ type: 'user-disconnected', userId: 'u2', username: 'user 2' }])
    expect(p.users().map((u) => u.userId)).toEqual(['u1'])
  })

  it('[BUS5] when a user leaves here but is still on another instance, then nobody is told they left', () => {
    const { p, frames, join } = presence()
    const seat = join(1)
    p.fromElsewhere({ kind: 'presence', users: [member(1)] }, 'other')
    frames.length = 0
    p.remove(seat)
    expect(messagesOf(frames)).toEqual([])
    expect(p.users().map((u) => u.userId)).toEqual(['u1'])
  })
})

describe('RoomPresence motion from other instances', () => {
  it('[CUR5] when other instances send cursors while users here move, then each tick is one frame with both, at their latest positions', async () => {
    const { p, frames, join, published } = presence()
    join(1)
    frames.length = 0
    p.moveCursor(member(1), 1, 1)
    // Two instances each send a batch within this tick, one user twice: the latest wins.
    p.fromElsewhere({ kind: 'cursors', cursors: [{ userId: 'u2', x: 2, y: 2 }] }, 'b')
    p.fromElsewhere({ kind: 'cursors', cursors: [{ userId: 'u3', x: 3, y: 3 }] }, 'c')
    p.fromElsewhere({ kind: 'cursors', cursors: [{ userId: 'u2', x: 5, y: 5 }] }, 'b')
    expect(frames).toEqual([])
    await expect.poll(() => frames.length).toBe(1)
    const [frame] = messagesOf(frames) as { type: string; cursors: { userId: string; x: number }[] }[]
    expect(frame?.type).toBe('cursors')
    expect(frame?.cursors).toEqual([
      { userId: 'u1', x: 1, y: 1 },
      { userId: 'u2', x: 5, y: 5 },
      { userId: 'u3', x: 3, y: 3 },
    ])
    // Only this instance's own cursors go back on the bus.
    expect(published.filter((m) => m.kind === 'cursors')).toEqual([
      { kind: 'cursors', cursors: [{ userId: 'u1', x: 1, y: 1 }] },
    ])
  })

  it('[CUR5] when the room is idle and another instance sends motion, then it goes out at once, and what follows within the tick waits for it', async () => {
    const { p, frames, join } = presence()
    join(1)
    frames.length = 0
    p.fromElsewhere({ kind: 'cursors', cursors: [{ userId: 'u2', x: 2, y: 2 }] }, 'b')
    expect(messagesOf(frames)).toEqual([{ type: 'cursors', cursors: [{ userId: 'u2', x: 2, y: 2 }] }])
    p.fromElsewhere(
      { kind: 'viewports', viewports: [{ userId: 'u2', x: 0, y: 0, width: 10, height: 10 }] },
      'b',
    )
    p.fromElsewhere({ kind: 'cursors', cursors: [{ userId: 'u2', x: 4, y: 4 }] }, 'b')
    expect(frames).toHaveLength(1)
    await expect.poll(() => frames.length).toBe(2)
    expect(messagesOf(frames.slice(1))).toEqual([
      { type: 'cursors', cursors: [{ userId: 'u2', x: 4, y: 4 }] },
      { type: 'viewports', viewports: [{ userId: 'u2', x: 0, y: 0, width: 10, height: 10 }] },
    ])
  })

  it('[CUR5] when a remote user leaves before the tick, then their pending cursor is not sent', async () => {
    const { p, frames, join } = presence()
    join(1)
    p.fromElsewhere({ kind: 'presence', users: [member(2)] }, 'b')
    p.moveCursor(member(1), 1, 1)
    p.fromElsewhere({ kind: 'cursors', cursors: [{ userId: 'u2', x: 2, y: 2 }] }, 'b')
    p.fromElsewhere({ kind: 'presence', users: [] }, 'b')
    frames.length = 0
    await expect.poll(() => messagesOf(frames).some((m) => 'cursors' in m)).toBe(true)
    const cursors = messagesOf(frames).filter(
      (m): m is { type: 'cursors'; cursors: { userId: string }[] } => 'cursors' in m,
    )
    expect(cursors.flatMap((m) => m.cursors.map((c) => c.userId))).toEqual(['u1'])
  })
})

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
  const broadcasts: object[] = []
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
    (message) => broadcasts.push(message),
    (message) => published.push(message),
  )
  presences.push(p)
  const join = (n: number) => {
    const seat = new Seat(new Client(), member(n))
    seats.add(seat)
    p.add(seat)
    return seat
  }
  return { p, seats, broadcasts, published, join }
}

describe('RoomPresence across instances', () => {
  it('[BUS5] when 2,000 members join within one tick, then the other instances get one presence message, not one per join', async () => {
    const { published, join } = presence()
    for (let n = 0; n < 2_000; n++) join(n)
    await expect.poll(() => published.length).toBe(1)
    const [message] = published
    expect(message?.kind === 'presence' && message.users.length).toBe(2_000)
  })

  it('[BUS5] when another instance lists users, then they are present here, announced once, and gone when its list drops them', () => {
    const { p, broadcasts, join } = presence()
    join(1)
    broadcasts.length = 0
    p.fromElsewhere({ kind: 'presence', users: [member(2), member(1)] }, 'other')
    // u1 is here already: only u2 is new to this room's clients.
    expect(broadcasts).toEqual([
      { type: 'user-connected', userId: 'u2', username: 'user 2', color: '#123456' },
    ])
    expect(
      p
        .users()
        .map((u) => u.userId)
        .sort(),
    ).toEqual(['u1', 'u2'])
    broadcasts.length = 0
    p.fromElsewhere({ kind: 'presence', users: [] }, 'other')
    expect(broadcasts).toEqual([{ type: 'user-disconnected', userId: 'u2', username: 'user 2' }])
    expect(p.users().map((u) => u.userId)).toEqual(['u1'])
  })

  it('[BUS5] when a user leaves here but is still on another instance, then nobody is told they left', () => {
    const { p, broadcasts, join } = presence()
    const seat = join(1)
    p.fromElsewhere({ kind: 'presence', users: [member(1)] }, 'other')
    broadcasts.length = 0
    p.remove(seat)
    expect(broadcasts).toEqual([])
    expect(p.users().map((u) => u.userId)).toEqual(['u1'])
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { FanOut, type Receiver } from '../../src/rooms/fanOut.js'

class Socket implements Receiver {
  readonly frames: unknown[] = []
  constructor(readonly name: string) {}
  deliver(frame: Buffer): void {
    this.frames.push(JSON.parse(frame.toString()))
  }
}

const TICK_MS = 20
const fanOuts: FanOut<Socket>[] = []
afterEach(() => {
  for (const f of fanOuts.splice(0)) f.close()
})

function room(...names: string[]) {
  let clock = 1_000
  const sockets = names.map((n) => new Socket(n))
  const counted = { frames: 0, delays: [] as number[] }
  const fanOut = new FanOut(new Set(sockets), TICK_MS, () => clock, {
    frames: (n) => (counted.frames += n),
    delay: (ms) => counted.delays.push(ms),
  })
  fanOuts.push(fanOut)
  return {
    fanOut,
    sockets,
    counted,
    advance: (ms: number) => (clock += ms),
  }
}

const event = (n: number) => JSON.stringify({ type: 'object-updated', seq: n })
const ack = (n: number) => JSON.stringify({ type: 'ack', opId: `op-${n}`, seq: n })

describe('FanOut', () => {
  it('when a quiet room publishes a commit, then every member gets one frame and each sender’s acks ride in its own', () => {
    const { fanOut, sockets, counted } = room('a', 'b', 'c')
    const [a, b, c] = sockets as [Socket, Socket, Socket]
    fanOut.publish(
      [
        { json: event(1), except: a },
        { json: event(2), except: b },
      ],
      new Map([
        [a, [ack(1)]],
        [b, [ack(2)]],
      ]),
    )
    expect(a.frames).toEqual([{ type: 'batch', messages: [JSON.parse(event(2)), JSON.parse(ack(1))] }])
    expect(b.frames).toEqual([{ type: 'batch', messages: [JSON.parse(event(1)), JSON.parse(ack(2))] }])
    expect(c.frames).toEqual([{ type: 'batch', messages: [JSON.parse(event(1)), JSON.parse(event(2))] }])
    // Three frames where separate acks made five.
    expect(counted.frames).toBe(3)
  })

  it('when a commit comes within a tick of the last send, then its acks go at once and its broadcasts wait for the tick', async () => {
    const { fanOut, sockets, counted, advance } = room('a', 'b')
    const [a, b] = sockets as [Socket, Socket]
    fanOut.send(event(1))
    advance(5)
    fanOut.publish([{ json: event(2), except: a }], new Map([[a, [ack(2)]]]))
    expect(a.frames).toEqual([JSON.parse(event(1)), JSON.parse(ack(2))])
    expect(b.frames).toEqual([JSON.parse(event(1))])

    advance(TICK_MS)
    await new Promise((resolve) => setTimeout(resolve, TICK_MS * 2))
    expect(a.frames).toHaveLength(2)
    expect(b.frames).toEqual([JSON.parse(event(1)), JSON.parse(event(2))])
    expect(counted.frames).toBe(4)
    expect(counted.delays).toEqual([0, TICK_MS])
  })

  it('when an ack follows a broadcast still waiting for the tick that its receiver is owed, then the ack rides behind it in the tick frame, never ahead', async () => {
    const { fanOut, sockets, advance } = room('a', 'b')
    const [a, b] = sockets as [Socket, Socket]
    fanOut.send(event(1))
    advance(5)
    // Seq 2 (b's) waits for the tick; a's seq 3 is acked: a must see 2 before the ack of 3.
    fanOut.publish([{ json: event(2), except: b }], new Map([[b, [ack(2)]]]))
    fanOut.publish([{ json: event(3), except: a }], new Map([[a, [ack(3)]]]))
    expect(a.frames).toEqual([JSON.parse(event(1))])
    expect(b.frames).toEqual([JSON.parse(event(1)), JSON.parse(ack(2))])

    advance(TICK_MS)
    await new Promise((resolve) => setTimeout(resolve, TICK_MS * 2))
    expect(a.frames).toEqual([
      JSON.parse(event(1)),
      { type: 'batch', messages: [JSON.parse(event(2)), JSON.parse(ack(3))] },
    ])
    expect(b.frames).toEqual([JSON.parse(event(1)), JSON.parse(ack(2)), JSON.parse(event(3))])
  })

  it('when a commit has only acks, then it starts no coalescing window and the next broadcast goes at once', () => {
    const { fanOut, sockets } = room('a', 'b')
    const [a, b] = sockets as [Socket, Socket]
    fanOut.publish([], new Map([[a, [ack(7)]]]))
    fanOut.send(event(8), a)
    expect(a.frames).toEqual([JSON.parse(ack(7))])
    expect(b.frames).toEqual([JSON.parse(event(8))])
  })

  it('when an ack is owed to a socket that left, then nothing is sent to it and the others still get theirs', () => {
    const { fanOut, sockets } = room('a', 'b')
    const [a, b] = sockets as [Socket, Socket]
    const gone = new Socket('gone')
    fanOut.publish([{ json: event(3), except: gone }], new Map([[gone, [ack(3)]]]))
    expect(gone.frames).toEqual([])
    expect(a.frames).toEqual([JSON.parse(event(3))])
    expect(b.frames).toEqual([JSON.parse(event(3))])
  })
})

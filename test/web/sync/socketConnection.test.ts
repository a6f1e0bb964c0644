import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CLOSE_CODES, FINAL_CLOSE_CODES } from '../../../src/protocol/closeCodes.js'
import type { UnbatchedServerMessage } from '../../../src/protocol/messages.js'
import { SocketConnection } from '../../../src/web/sync/socketConnection.js'
import { ScriptedSocket, welcome } from './support/scriptedSocket.js'

// The connection alone, on a scripted socket and Vitest's fake clock: the rules here are about
// time (backoff, heartbeats) and close codes, which a real server cannot be made to show on cue.

const HEARTBEAT_MS = 1_000
/** random() = 0: every wait is exactly half its ceiling. */
const BACKOFF = { initialMs: 200, maxMs: 1_000 }

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  ScriptedSocket.opened = []
})
afterEach(() => {
  vi.useRealTimers()
})

function newConnection() {
  const messages: UnbatchedServerMessage[] = []
  const errors: string[] = []
  let lost = 0
  let lastSeq: number | undefined
  const connection = new SocketConnection(
    {
      url: 'ws://127.0.0.1:1/ws/c1',
      WebSocketImpl: ScriptedSocket,
      now: () => Date.now(),
      random: () => 0,
      reconnect: BACKOFF,
      heartbeatMs: HEARTBEAT_MS,
    },
    {
      authMessage: () => (lastSeq === undefined ? { type: 'auth' } : { type: 'auth', lastSeq }),
      onMessage: (m) => {
        messages.push(m)
        if (m.type === 'auth-success') connection.markJoined()
      },
      onSocketLost: () => lost++,
      onError: (_code, message) => errors.push(message),
      onChange: () => {},
    },
  )
  return {
    connection,
    messages,
    errors,
    lost: () => lost,
    resumeFrom: (seq: number) => (lastSeq = seq),
  }
}

/** Opens the newest socket and welcomes it. */
function join(): ScriptedSocket {
  const socket = ScriptedSocket.latest()
  socket.open()
  socket.receive(welcome())
  return socket
}

describe('SocketConnection: lifecycle', () => {
  it('[SYNC22] [SYNC26] when the socket drops, then it waits the backoff, reconnects with the auth of that moment, and starts the backoff over once joined', () => {
    const { connection, lost, resumeFrom } = newConnection()
    connection.start()
    expect(connection.status).toBe('connecting')
    const first = join()
    expect(first.sentMessages()).toEqual([{ type: 'auth' }])
    expect(connection.status).toBe('online')

    resumeFrom(7)
    first.serverClose(1006)
    expect(lost()).toBe(1)
    expect(connection.status).toBe('offline')
    expect(connection.retryAt).toBe(Date.now() + 100)
    vi.advanceTimersByTime(99)
    expect(ScriptedSocket.opened).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(ScriptedSocket.opened).toHaveLength(2)
    expect(connection.status).toBe('reconnecting')
    expect(connection.retryAt).toBeUndefined()

    // Refused again and again: the waits double up to the ceiling.
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      ScriptedSocket.latest().serverClose(1011)
      waits.push((connection.retryAt ?? 0) - Date.now())
      vi.advanceTimersByTime(waits.at(-1) ?? 0)
    }
    expect(waits).toEqual([200, 400, 500, 500])

    const again = join()
    expect(again.sentMessages()[0]).toEqual({ type: 'auth', lastSeq: 7 })
    again.serverClose(CLOSE_CODES.goingAway)
    expect((connection.retryAt ?? 0) - Date.now()).toBe(100)
    connection.stop()
  })

  it.each([...FINAL_CLOSE_CODES])(
    '[SYNC23] when the server closes with %i, then the connection is closed for good with a reason, and no retry is made',
    (code) => {
      const { connection } = newConnection()
      connection.start()
      join().serverClose(code)
      expect(connection.status).toBe('closed')
      expect(connection.ended).toBe(true)
      expect(connection.retryAt).toBeUndefined()
      expect(connection.closeReason?.code).toBe(code)
      expect(connection.closeReason?.message).toMatch(/\w+/)
      connection.reconnectNow()
      vi.advanceTimersByTime(60_000)
      expect(ScriptedSocket.opened).toHaveLength(1)
    },
  )

  it('[SYNC23] when the canvas is deleted (4410) with no reason given, then the reason says so; a reason given is kept', () => {
    const { connection } = newConnection()
    connection.start()
    join().serverClose(CLOSE_CODES.canvasDeleted)
    expect(connection.closeReason).toEqual({
      code: CLOSE_CODES.canvasDeleted,
      message: 'this canvas was deleted',
    })

    const other = newConnection().connection
    other.start()
    join().serverClose(CLOSE_CODES.forbidden, 'access removed')
    expect(other.closeReason).toEqual({ code: CLOSE_CODES.forbidden, message: 'access removed' })
  })

  it('[SYNC26] when a joined socket goes quiet, then a ping goes out, and if it is not answered the socket is dropped and retried', () => {
    const { connection, lost } = newConnection()
    connection.start()
    const socket = join()
    vi.advanceTimersByTime(HEARTBEAT_MS)
    expect(socket.sentMessages().at(-1)).toMatchObject({ type: 'ping' })
    socket.receive({ type: 'pong', t: 0 }) // answered: the socket lives on
    vi.advanceTimersByTime(HEARTBEAT_MS + HEARTBEAT_MS / 2)
    expect(socket.closedWith).toBeUndefined()
    const pings = socket.sentMessages().filter((m) => m.type === 'ping').length
    vi.advanceTimersByTime(HEARTBEAT_MS)
    expect(socket.sentMessages().filter((m) => m.type === 'ping')).toHaveLength(pings)
    expect(socket.closedWith?.code).toBe(4000)
    expect(lost()).toBe(1)
    // Its backoff (100 ms) has passed too: the next socket is being opened.
    expect(ScriptedSocket.opened).toHaveLength(2)
    expect(connection.status).toBe('reconnecting')
    connection.stop()
  })

  it('[SYNC26] when no welcome comes within two heartbeats, then the socket is dropped and retried', () => {
    const { connection } = newConnection()
    connection.start()
    const socket = ScriptedSocket.latest()
    socket.open()
    vi.advanceTimersByTime(2 * HEARTBEAT_MS)
    expect(socket.closedWith).toEqual({ code: 4000, reason: 'no welcome from the server' })
    expect(connection.status).toBe('offline')
    connection.stop()
  })

  it('[SYNC26] when stop() is called, then the socket is closed normally, status is closed and no timer opens another', () => {
    const { connection, lost } = newConnection()
    connection.start()
    const socket = join()
    connection.stop()
    expect(socket.closedWith?.code).toBe(1000)
    expect(connection.status).toBe('closed')
    expect(lost()).toBe(1)
    expect(connection.send({ type: 'cursor', x: 1, y: 1 })).toBe(false)
    vi.advanceTimersByTime(60_000)
    expect(ScriptedSocket.opened).toHaveLength(1)
  })
})

describe('SocketConnection: frames', () => {
  it('[SYNC21] when a batch arrives, then its messages are handed over in order; a frame that is not JSON is an error', () => {
    const { connection, messages, errors } = newConnection()
    connection.start()
    const socket = join()
    socket.receive({
      type: 'batch',
      messages: [
        { type: 'ack', opId: 'a', seq: 1 },
        { type: 'user-disconnected', userId: 'u', username: 'U' },
      ],
    })
    expect(messages.map((m) => m.type)).toEqual(['auth-success', 'ack', 'user-disconnected'])
    socket.receiveRaw('{nope')
    expect(errors).toEqual(['the server sent a frame that is not JSON'])
    expect(connection.status).toBe('online')
    connection.stop()
  })

  it('[SYNC27] when not joined, then send() sends nothing and says so', () => {
    const { connection } = newConnection()
    connection.start()
    const socket = ScriptedSocket.latest()
    socket.open()
    expect(connection.send({ type: 'cursor', x: 1, y: 1 })).toBe(false)
    expect(socket.sentMessages().map((m) => m.type)).toEqual(['auth'])
    socket.receive(welcome())
    expect(connection.send({ type: 'cursor', x: 1, y: 1 })).toBe(true)
    connection.stop()
  })
})

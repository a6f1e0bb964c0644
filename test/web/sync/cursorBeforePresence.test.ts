import { describe, expect, it } from 'vitest'
import { MemoryPendingStore } from '../../../src/web/sync/pendingStore.js'
import { SyncEngine, type SyncSocket } from '../../../src/web/sync/syncEngine.js'

type Listener = (event: { data: unknown; code: number; reason: string }) => void

/** A socket the test speaks for: whatever the server would send, in the order the test picks. */
class ScriptedSocket implements SyncSocket {
  static opened: ScriptedSocket[] = []
  readyState = 0
  readonly sent: string[] = []
  private readonly listeners = new Map<string, Listener[]>()

  constructor(readonly url: string) {
    ScriptedSocket.opened.push(this)
  }

  send(data: string): void {
    this.sent.push(data)
  }

  close(): void {
    this.readyState = 3
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  open(): void {
    this.readyState = 1
    for (const listener of this.listeners.get('open') ?? [])
      listener({ data: undefined, code: 0, reason: '' })
  }

  receive(message: object): void {
    for (const listener of this.listeners.get('message') ?? [])
      listener({ data: JSON.stringify(message), code: 0, reason: '' })
  }
}

describe('remote cursors and presence', () => {
  // The server delivers `cursors` at once but may coalesce `user-connected` into its next fan-out
  // tick (src/server/realtime/fanOut.ts), so a newcomer's first cursor can arrive before it is
  // announced. Found by the browser end-to-end test: a cursor label stayed empty.
  it('[SYNC27] [SYNC28] when a cursor arrives before its user-connected then the cursor gets the name and colour once it does', async () => {
    const engine = new SyncEngine({
      url: 'ws://127.0.0.1:1/ws/c1',
      canvasId: 'c1',
      token: 't',
      pendingStore: new MemoryPendingStore(),
      WebSocketImpl: ScriptedSocket,
    })
    await engine.start()
    const socket = ScriptedSocket.opened.at(-1)!
    socket.open()
    socket.receive({
      type: 'auth-success',
      userId: 'me',
      username: 'Me',
      color: '#111111',
      role: 'editor',
      seq: 0,
      objects: [],
      users: [{ userId: 'me', username: 'Me', color: '#111111' }],
    })
    expect(engine.getSnapshot().status).toBe('online')

    socket.receive({ type: 'cursors', cursors: [{ userId: 'carol', x: 10, y: 20 }] })
    expect(engine.getSnapshot().cursors.get('carol')).toMatchObject({ username: '', x: 10, y: 20 })

    socket.receive({ type: 'user-connected', userId: 'carol', username: 'Carol', color: '#e5484d' })
    expect(engine.getSnapshot().cursors.get('carol')).toMatchObject({
      username: 'Carol',
      color: '#e5484d',
      x: 10,
      y: 20,
    })
    expect(engine.getSnapshot().users.map((u) => u.username)).toEqual(['Me', 'Carol'])
    engine.stop()
  })
})

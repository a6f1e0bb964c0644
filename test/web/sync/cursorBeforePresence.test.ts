import { describe, expect, it } from 'vitest'
import { MemoryPendingStore } from '../../../src/web/sync/pendingStore.js'
import { SyncEngine } from '../../../src/web/sync/syncEngine.js'
import { ScriptedSocket, welcome } from './support/scriptedSocket.js'

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
    socket.receive(welcome())
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

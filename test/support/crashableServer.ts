import type { Socket } from 'node:net'
import { startTestServer, type TestServer, type TestServerOptions } from './startTestServer.js'

/** A test server that can also die the way a killed process does (see `crash`). */
export interface CrashableServer extends TestServer {
  /**
   * Simulates SIGKILL in process: every TCP socket (HTTP and WebSocket alike) is destroyed
   * without a close frame, the database is closed before anything else can be written, and
   * only then are the app's timers stopped. So no graceful work reaches the disk: no
   * snapshot flush on close, no queued fan-out, no last checkpoint. The data directory stays
   * for a restart (`startCrashableServer({ dataDir })`).
   */
  crash(): Promise<void>
}

/**
 * startTestServer plus a record of every accepted TCP socket, so `crash()` can cut them all,
 * including upgraded WebSocket ones that `closeAllConnections()` no longer tracks.
 */
export async function startCrashableServer(options: TestServerOptions = {}): Promise<CrashableServer> {
  const server = await startTestServer(options)
  const sockets = new Set<Socket>()
  server.app.server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  let crashed = false
  return {
    ...server,
    async crash() {
      if (crashed) return
      crashed = true
      for (const socket of sockets) socket.destroy()
      // The op log stops its checkpoint worker and commits what is still queued (never acked:
      // a real crash may keep or lose it alike), then the handle closes. From here every write
      // the app attempts fails.
      await server.deps.close()
      // Only timers and in-memory rooms are left: the graceful close now runs against a closed
      // log, so its snapshots fail (logged, swallowed) exactly as if they had never happened.
      await server.app.close()
    },
    async close() {
      if (crashed) return
      await server.close()
    },
  }
}

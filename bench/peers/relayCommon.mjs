/**
 * The part of the contract both baseline relays implement (bench/peers/rawRelay.mjs and
 * bench/peers/batchingRelay.mjs): an HTTP server answering GET /health, WebSockets at
 * /ws/:canvasId, the first frame taken as auth and answered with auth-success at once (no
 * token check), and an `ack` echoed for every later frame carrying an opId.
 *
 * The relay's ack is NOT durable: nothing is stored, it only gives the load generator the
 * same round trip to time as CollabCanvas's ack (which comes after an fsync'd commit).
 *
 * Per-connection state is two properties on the ws object and shared listener functions
 * (no closure per socket), so scenario (c) measures what ws itself costs per idle socket.
 */
import { Buffer } from 'node:buffer'
import http from 'node:http'
import { WebSocketServer } from 'ws'

const AUTH_SUCCESS = Buffer.from(
  JSON.stringify({
    type: 'auth-success',
    userId: 'relay',
    username: 'relay',
    color: '#888888',
    role: 'editor',
    seq: 0,
    objects: [],
    users: [],
  }),
)
const OP_ID = Buffer.from('"opId":"')
const QUOTE = 0x22
export const TEXT = Object.freeze({ binary: false })

/**
 * Starts the relay. `onFrame(socket, data)` is called for every frame after auth with the raw
 * bytes; `socket.room` is the set of sockets on the same canvas path (the sender included).
 */
export function startRelay({ name, onFrame }) {
  const port = Number(process.env.PORT ?? 8090)
  const host = process.env.HOST ?? '127.0.0.1'
  const rooms = new Map()

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(`{"status":"ok","service":"${name}"}`)
      return
    }
    res.writeHead(404)
    res.end()
  })
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: 256 * 1024,
  })

  function onClose() {
    const room = this.room
    if (!room) return
    room.sockets.delete(this)
    if (room.sockets.size === 0) rooms.delete(room.id)
  }

  function onMessage(data) {
    if (this.room === undefined) {
      // First frame: the auth message. Not checked: any token is accepted.
      let room = rooms.get(this.canvasId)
      if (!room) {
        room = { id: this.canvasId, sockets: new Set(), seq: 0 }
        rooms.set(this.canvasId, room)
      }
      this.room = room
      room.sockets.add(this)
      this.canvasId = undefined
      this.send(AUTH_SUCCESS, TEXT)
      return
    }
    // An opId is found by a byte search, not by parsing the frame.
    const at = data.indexOf(OP_ID)
    if (at !== -1) {
      const start = at + OP_ID.length
      const end = data.indexOf(QUOTE, start)
      if (end !== -1) {
        const opId = data.toString('latin1', start, end)
        this.send(`{"type":"ack","opId":"${opId}","seq":${++this.room.seq}}`)
      }
    }
    onFrame(this, data)
  }

  server.on('upgrade', (req, socket, head) => {
    const m = /^\/ws\/([A-Za-z0-9_-]{1,64})(?:\?|$)/.exec(req.url ?? '')
    if (!m) {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.canvasId = m[1]
      ws.room = undefined
      ws.on('message', onMessage)
      ws.on('close', onClose)
    })
  })

  server.listen(port, host)
  process.once('SIGTERM', () => {
    for (const room of rooms.values()) for (const ws of room.sockets) ws.terminate()
    server.close(() => process.exit(0))
    server.closeAllConnections()
  })
  return { rooms }
}

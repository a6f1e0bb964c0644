import type { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'
import type { CanvasSocket } from './connection.js'

/**
 * The listeners every socket shares: `this` is the socket, so no closure is allocated per
 * connection. The server constructs every socket as a CanvasSocket (WebSocketServer's
 * `WebSocket` option), which carries its Connection and handler.
 */
export function listenTo(socket: CanvasSocket): void {
  socket.on('message', onSocketMessage)
  socket.on('close', onSocketClose)
  socket.on('error', onSocketError)
  socket.on('pong', onSocketPong)
  socket.on('ping', onSocketPing)
}

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const socket = this as CanvasSocket
  if (socket.connection) socket.handler?.handleFrame(socket.connection, data, isBinary)
}
function onSocketClose(this: WebSocket): void {
  const socket = this as CanvasSocket
  if (socket.connection) socket.handler?.forget(socket.connection)
  socket.connection = undefined
}
function onSocketError(): void {
  // ws closes the socket after an error (oversized frame → 1009, bad UTF-8 → 1007); 'close' cleans up.
}
function onSocketPong(this: WebSocket): void {
  const socket = this as CanvasSocket
  if (socket.connection) socket.handler?.handlePong(socket.connection)
}
function onSocketPing(this: WebSocket, data: Buffer): void {
  const socket = this as CanvasSocket
  if (socket.connection) socket.handler?.handlePing(socket.connection, data)
}

/** On an upgrade socket until ws takes over (a reset just ends it), and after a refusal is written. */
export function destroySocket(this: Duplex): void {
  this.destroy()
}

/**
 * Answers and closes. The socket is destroyed once the answer is written: the HTTP server allows
 * half-open connections, so a client that never closes its side would otherwise keep it forever.
 */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.once('finish', destroySocket)
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

export function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

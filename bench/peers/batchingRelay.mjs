/**
 * Baseline peer for `npm run bench:ws`: a batching `ws` relay. Like the raw relay (no parsing,
 * no storage, a non-durable `ack` echoed at once) but adaptive: while a room is quiet a frame
 * goes out at once; when a room carries more than one frame within a 16 ms tick, everything of
 * the tick is coalesced into one {"type":"batch","messages":[…]} frame per receiver (the frames
 * are spliced in as bytes, not re-encoded). Receivers that sent nothing in the tick share one
 * Buffer; a sender gets its own without its frames.
 *
 * Run: PORT=8091 HOST=127.0.0.1 node bench/peers/batchingRelay.mjs   (started by bench/wsBench.mjs)
 */
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { setTimeout } from 'node:timers'
import { TEXT, startRelay } from './relayCommon.mjs'

const TICK_MS = 16
const OPEN = Buffer.from('{"type":"batch","messages":[')
const COMMA = Buffer.from(',')
const CLOSE = Buffer.from(']}')

function batchFrame(frames) {
  if (frames.length === 1) return frames[0]
  const parts = [OPEN]
  frames.forEach((f, i) => {
    if (i > 0) parts.push(COMMA)
    parts.push(f)
  })
  parts.push(CLOSE)
  return Buffer.concat(parts)
}

function flush(room) {
  room.timer = undefined
  room.lastSentAt = performance.now()
  const pending = room.pending
  room.pending = []
  if (pending.length === 0) return
  const senders = new Set(pending.map((p) => p.from))
  const shared = batchFrame(pending.map((p) => p.data))
  for (const ws of room.sockets) {
    if (!senders.has(ws)) {
      ws.send(shared, TEXT)
      continue
    }
    const others = pending.filter((p) => p.from !== ws).map((p) => p.data)
    if (others.length > 0) ws.send(batchFrame(others), TEXT)
  }
}

startRelay({
  name: 'batching-relay',
  onFrame(sender, data) {
    const room = sender.room
    room.pending ??= []
    room.lastSentAt ??= -Infinity
    const now = performance.now()
    if (room.timer === undefined && now - room.lastSentAt >= TICK_MS) {
      // Quiet room: no reason to wait.
      room.lastSentAt = now
      for (const ws of room.sockets) if (ws !== sender) ws.send(data, TEXT)
      return
    }
    room.pending.push({ from: sender, data })
    room.timer ??= setTimeout(flush, Math.max(0, TICK_MS - (now - room.lastSentAt)), room)
  },
})

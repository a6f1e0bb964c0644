import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { RoomObserver } from '../../rooms/roomLimits.js'

export interface RealtimeMetrics {
  connections: Gauge
  rooms: Gauge
  messagesIn: Counter<'type'>
  messagesOut: Counter
  commitSeconds: Histogram
  fanOutSeconds: Histogram
  closedForAbuse: Counter<'reason'>
  handlerErrors: Counter
}

export function createRealtimeMetrics(registry: Registry): RealtimeMetrics {
  const registers = [registry]
  return {
    connections: new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections', registers }),
    rooms: new Gauge({ name: 'ws_rooms', help: 'Canvas rooms loaded on this instance', registers }),
    messagesIn: new Counter({
      name: 'ws_messages_in_total',
      help: 'Messages received, by type',
      labelNames: ['type'],
      registers,
    }),
    messagesOut: new Counter({ name: 'ws_frames_out_total', help: 'Frames sent to sockets', registers }),
    commitSeconds: new Histogram({
      name: 'op_commit_seconds',
      help: 'From receiving an operation to its durable commit',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    fanOutSeconds: new Histogram({
      name: 'fanout_seconds',
      help: 'From a broadcast being ready to its frame being written (coalescing wait included)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.016, 0.025, 0.05, 0.1],
      registers,
    }),
    closedForAbuse: new Counter({
      name: 'ws_closed_abuse_total',
      help: 'Sockets closed for floods, oversize frames or slow reading',
      labelNames: ['reason'],
      registers,
    }),
    handlerErrors: new Counter({
      name: 'ws_handler_errors_total',
      help: 'Message handlers that threw; the socket got an error frame',
      registers,
    }),
  }
}

/** What the rooms report, as these metrics. */
export function roomObserver(metrics: RealtimeMetrics): RoomObserver {
  return {
    frames: (count) => metrics.messagesOut.inc(count),
    fanOutDelay: (ms) => metrics.fanOutSeconds.observe(ms / 1000),
    commitDelay: (ms) => metrics.commitSeconds.observe(ms / 1000),
    rooms: (count) => metrics.rooms.set(count),
  }
}

import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { BusHealth } from '../canvasBus.js'
import { decodeWire, encodeWire, type WireMessage } from '../busWire.js'
import {
  RelayedCanvasBus,
  type BusTransport,
  type RelayOptions,
  type TransportSink,
} from '../relayedCanvasBus.js'

export interface RedisBusTuning {
  /** Cursor moves of a canvas merged into one message per interval; 0: the room's tick alone. */
  cursorBatchMs: number
  presenceHeartbeatMs: number
  presenceExpiryMs: number
}

export const REDIS_BUS_DEFAULTS: Readonly<RedisBusTuning> = {
  cursorBatchMs: 0,
  presenceHeartbeatMs: 5_000,
  presenceExpiryMs: 15_000,
}

/** How often each Redis connection is pinged, and how long an answer may take. */
const PROBE_MS = 1_000

export interface RedisBusObserver {
  published(count: number): void
  received(count: number): void
}

export interface RedisCanvasBusOptions {
  redisUrl: string
  headSeq: (canvasId: string) => Promise<number>
  /** Channel names start with it: several deployments (or test runs) may share one Redis. */
  prefix?: string
  now?: () => number
  tuning?: Partial<RedisBusTuning>
  observer?: RedisBusObserver
  onError: (err: unknown, what: string) => void
}

/**
 * Redis pub/sub as the transport (BUS=redis): one channel per canvas, which an instance
 * subscribes to while it has listeners there, and one for the deployment. Pub/sub, not streams:
 * everything on it is a doorbell or ephemeral, the log (PostgreSQL) is the truth, so a lost
 * message needs no replay from Redis, only a log read, and pub/sub keeps nothing to trim.
 * ioredis reconnects and resubscribes by itself; after every reconnect the sink is told to
 * catch up from the log [BUS7]. Publishing while disconnected fails at once (no offline queue):
 * the message is dropped rather than delivered late, which the catch-up makes good.
 */
export class RedisTransport implements BusTransport {
  private readonly pub: Redis
  private readonly sub: Redis
  private readonly prefix: string
  private readonly watched = new Set<string>()
  private readonly probe: NodeJS.Timeout
  private closed = false

  constructor(
    private readonly sink: TransportSink,
    private readonly options: RedisCanvasBusOptions & { instanceId: string },
  ) {
    this.prefix = options.prefix ?? 'cc:'
    const common = {
      // Making a connection through a partition gives up soon and is tried again.
      connectTimeout: 2 * PROBE_MS,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Reconnect quickly at first, then every second at most: delivery resumes soon after Redis does.
      retryStrategy: (times: number) => Math.min(50 * times, 1_000),
    }
    this.pub = new Redis(options.redisUrl, {
      ...common,
      connectionName: `cc-bus-pub-${options.instanceId}`,
      // Every publish of one event-loop turn (all rooms' ticks that fell due, a commit's
      // doorbells) goes in one write: under load a socket write per message was the largest cost.
      enableAutoPipelining: true,
    })
    // Subscribing needs the offline queue: subscriptions made before the connection is up are sent once it is.
    this.sub = new Redis(options.redisUrl, {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectionName: `cc-bus-sub-${options.instanceId}`,
    })
    for (const client of [this.pub, this.sub]) {
      client.on('error', (err: unknown) => options.onError(err, 'Redis connection'))
      let everReady = false
      client.on('ready', () => {
        // The first ready is the start; any later one follows a lost connection, during which
        // messages were lost both ways.
        if (everReady) this.sink.resync()
        everReady = true
      })
    }
    // A partition that drops packets leaves TCP connections open and silent: ioredis would notice
    // only after the kernel's timeouts, minutes later. A ping without an answer in time ends the
    // connection, which ioredis makes again (and the ready above catches up).
    this.probe = setInterval(() => this.probeConnections(), PROBE_MS)
    this.probe.unref()
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      const name = channel.toString()
      if (!name.startsWith(this.prefix)) return
      const message = decodeWire(payload.toString())
      if (!message) return
      this.options.observer?.received(1)
      this.sink.receive(name.slice(this.prefix.length), message)
    })
  }

  /** The name of the subscriber connection in CLIENT LIST (tests cut it to simulate a partition). */
  get subscriberName(): string {
    return `cc-bus-sub-${this.options.instanceId}`
  }

  watch(channel: string): Promise<void> {
    if (this.watched.has(channel)) return Promise.resolve()
    this.watched.add(channel)
    // Resolves when Redis confirmed the subscription (after a reconnect if it is down now).
    return this.sub.subscribe(this.prefix + channel).then(() => undefined)
  }

  unwatch(channel: string): void {
    if (!this.watched.delete(channel)) return
    this.sub
      .unsubscribe(this.prefix + channel)
      .catch((err: unknown) => this.options.onError(err, 'unsubscribing'))
  }

  send(channel: string, message: WireMessage): void {
    if (this.closed || this.pub.status !== 'ready') return
    this.pub.publish(this.prefix + channel, encodeWire(message)).then(
      () => this.options.observer?.published(1),
      (err: unknown) => this.options.onError(err, 'publishing'),
    )
  }

  private probeConnections(): void {
    for (const client of [this.pub, this.sub]) {
      if (client.status !== 'ready') continue
      let answered = false
      client.ping().then(
        () => (answered = true),
        () => undefined,
      )
      setTimeout(() => {
        if (answered || this.closed || client.status !== 'ready') return
        this.options.onError(new Error(`no answer to PING within ${PROBE_MS} ms`), 'Redis connection')
        client.disconnect(true)
      }, PROBE_MS).unref()
    }
  }

  health(): BusHealth {
    return this.pub.status === 'ready' && this.sub.status === 'ready' ? 'ok' : 'unavailable'
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.probe)
    // QUIT waits for what was published before it (the goodbye presence) to be sent.
    await Promise.allSettled([this.pub.quit(), this.sub.quit()])
    this.pub.disconnect()
    this.sub.disconnect()
  }
}

export type RedisCanvasBus = RelayedCanvasBus<RedisTransport>

/** BUS=redis: a RelayedCanvasBus over Redis pub/sub, with a fresh instance id. */
export function createRedisCanvasBus(options: RedisCanvasBusOptions): RedisCanvasBus {
  const tuning = { ...REDIS_BUS_DEFAULTS, ...options.tuning }
  const instanceId = randomUUID()
  const relay: RelayOptions = {
    instanceId,
    headSeq: options.headSeq,
    localBroadcast: true,
    presenceHeartbeatMs: tuning.presenceHeartbeatMs,
    presenceExpiryMs: tuning.presenceExpiryMs,
    cursorBatchMs: tuning.cursorBatchMs,
    now: options.now ?? Date.now,
    onError: options.onError,
  }
  return new RelayedCanvasBus((sink) => new RedisTransport(sink, { ...options, instanceId }), relay)
}

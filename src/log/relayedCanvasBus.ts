import type { LogEntry } from '../core/room/logEntry.js'
import type { CursorPosition, PresenceUser } from '../protocol/messages.js'
import type {
  BusHealth,
  CanvasBus,
  CanvasListener,
  CanvasNotice,
  Ephemeral,
  SessionEndedListener,
} from './canvasBus.js'
import { DEPLOYMENT_CHANNEL, INLINE_ENTRIES_MAX_BYTES, type WireBody, type WireMessage } from './busWire.js'

/**
 * How messages travel between instances: the SQLite queue or Redis. A transport delivers what it
 * receives on the channels it watches (canvas ids and DEPLOYMENT_CHANNEL) to its sink, its own
 * messages included (the bus skips or uses them), and tells the sink when it may have missed some.
 */
export interface BusTransport {
  /** Starts receiving `channel`; resolves once messages sent from now on will arrive. */
  watch(channel: string): Promise<void>
  unwatch(channel: string): void
  send(channel: string, message: WireMessage): void
  health(): BusHealth
  close(): Promise<void>
}

export interface TransportSink {
  receive(channel: string, message: WireMessage): void
  /** Messages may have been lost (a reconnect, an expired queue): catch up from the log [BUS7]. */
  resync(): void
}

/** How long ready() waits for a transport that is down before a room loads anyway. */
const READY_TIMEOUT_MS = 1_000

export interface RelayOptions {
  instanceId: string
  /** The log's head of a canvas, to tell listeners after messages were missed [BUS7]. */
  headSeq: (canvasId: string) => Promise<number>
  /**
   * true: this instance's listeners are told at once, in process, and the transport carries only
   * what other instances need. false: they hear of it when it comes back through the transport,
   * like everyone else (slower; for measuring the transport alone).
   */
  localBroadcast: boolean
  /** Local presence is re-sent this often, so instances that lost a message converge. */
  presenceHeartbeatMs: number
  /** A remote instance's presence is dropped when nothing came from it for this long [BUS6]. */
  presenceExpiryMs: number
  /** Cursor moves of a canvas are merged into one message per this interval; 0 sends each batch. */
  cursorBatchMs: number
  now: () => number
  onError: (err: unknown, what: string) => void
}

interface RemotePresence {
  users: PresenceUser[]
  seenAt: number
}

/** Remembered own messages, by lid, until they come back (no local broadcast); bounded. */
const MAX_OWN_PENDING = 10_000

/**
 * A CanvasBus over a transport shared by several instances: serves this instance's listeners
 * directly (local broadcast), relays to the others, keeps per-instance presence with heartbeats
 * and expiry, batches cursor moves, and on a possible loss tells every listener the log's head so
 * rooms read what they missed: the log is the truth, the transport only a doorbell [BUS1–BUS8].
 */
export class RelayedCanvasBus<T extends BusTransport = BusTransport> implements CanvasBus, TransportSink {
  readonly instanceId: string
  /** The transport, for what only it knows (queue statistics, connection names). */
  readonly transport: T
  private readonly listeners = new Map<string, Set<CanvasListener>>()
  private readonly sessionListeners = new Set<SessionEndedListener>()
  /** canvasId → the presence this instance last published in it. */
  private readonly localPresence = new Map<string, PresenceUser[]>()
  /** canvasId → instanceId → what that instance has there. */
  private readonly remotePresence = new Map<string, Map<string, RemotePresence>>()
  /** canvasId → userId → latest position, waiting for the cursor batch. */
  private readonly pendingCursors = new Map<string, Map<string, CursorPosition>>()
  private cursorTimer: NodeJS.Timeout | undefined
  private readonly helloAnswers = new Set<string>()
  /** canvasId → resolves when the transport receives it. */
  private readonly watching = new Map<string, Promise<void>>()
  /** Canvases whose ready() gave up waiting for the transport. */
  private readonly late = new Set<string>()
  private readonly ownPending = new Map<number, CanvasListener | undefined>()
  private nextLid = 1
  private readonly heartbeat: NodeJS.Timeout
  private closed = false

  constructor(
    makeTransport: (sink: TransportSink) => T,
    private readonly options: RelayOptions,
  ) {
    this.instanceId = options.instanceId
    this.transport = makeTransport(this)
    this.transport
      .watch(DEPLOYMENT_CHANNEL)
      .catch((err: unknown) => options.onError(err, 'watching the deployment'))
    this.heartbeat = setInterval(() => this.beat(), options.presenceHeartbeatMs)
    this.heartbeat.unref()
  }

  publishCommitted(
    canvasId: string,
    headSeq: number,
    entries: readonly LogEntry[],
    from?: CanvasListener,
  ): void {
    if (this.options.localBroadcast) {
      for (const listener of this.listenersOf(canvasId)) {
        if (listener !== from) listener.committed(entries, headSeq)
      }
    }
    // Small commits carry their entries, so receivers need not read the log for them.
    let inline = entries.length > 0 && entries.length <= 64 ? [...entries] : []
    if (inline.length > 0 && JSON.stringify(inline).length > INLINE_ENTRIES_MAX_BYTES) inline = []
    this.send(canvasId, { t: 'committed', head: headSeq, entries: inline }, from)
  }

  publishNotice(canvasId: string, notice: CanvasNotice): void {
    if (this.options.localBroadcast)
      for (const listener of this.listenersOf(canvasId)) listener.notice(notice)
    this.send(canvasId, { t: 'notice', notice })
  }

  publishEphemeral(canvasId: string, message: Ephemeral, from?: CanvasListener): void {
    if (this.options.localBroadcast) {
      for (const listener of this.listenersOf(canvasId)) {
        if (listener !== from) listener.ephemeral(message, this.instanceId)
      }
    }
    if (message.kind === 'presence') {
      if (message.users.length > 0) this.localPresence.set(canvasId, message.users)
      else this.localPresence.delete(canvasId)
    }
    if (message.kind === 'cursors' && this.options.cursorBatchMs > 0) {
      let pending = this.pendingCursors.get(canvasId)
      if (!pending) this.pendingCursors.set(canvasId, (pending = new Map<string, CursorPosition>()))
      for (const cursor of message.cursors) pending.set(cursor.userId, cursor)
      this.cursorTimer ??= setTimeout(() => this.flushCursors(), this.options.cursorBatchMs)
      return
    }
    this.send(canvasId, { t: 'ephemeral', message }, from)
  }

  publishSessionEnded(sessionHash: string): void {
    this.send(DEPLOYMENT_CHANNEL, { t: 'session-ended', sessionHash })
  }

  onSessionEnded(listener: SessionEndedListener): () => void {
    this.sessionListeners.add(listener)
    return () => this.sessionListeners.delete(listener)
  }

  subscribe(canvasId: string, listener: CanvasListener): () => void {
    if (this.closed) return () => undefined
    let set = this.listeners.get(canvasId)
    if (!set) {
      this.listeners.set(canvasId, (set = new Set()))
      const watching = this.transport.watch(canvasId).then(
        () => {
          if (!this.listeners.has(canvasId)) return
          // Whoever is already there re-sends its presence now rather than at its next heartbeat.
          this.send(canvasId, { t: 'hello' })
          // A room that loaded without waiting for us reads from the log what came meanwhile.
          if (this.late.delete(canvasId)) this.tellHead(canvasId)
        },
        (err: unknown) => this.options.onError(err, 'watching a canvas'),
      )
      this.watching.set(canvasId, watching)
    }
    set.add(listener)
    const known = [...(this.remotePresence.get(canvasId) ?? [])]
    const local = this.localPresence.get(canvasId)
    if (known.length > 0 || local) {
      queueMicrotask(() => {
        if (!this.listeners.get(canvasId)?.has(listener)) return
        for (const [source, { users }] of known) listener.ephemeral({ kind: 'presence', users }, source)
        if (local) listener.ephemeral({ kind: 'presence', users: local }, this.instanceId)
      })
    }
    return () => {
      const current = this.listeners.get(canvasId)
      if (!current?.delete(listener) || current.size > 0) return
      this.listeners.delete(canvasId)
      this.watching.delete(canvasId)
      this.late.delete(canvasId)
      this.remotePresence.delete(canvasId)
      if (this.localPresence.delete(canvasId))
        this.send(canvasId, { t: 'ephemeral', message: { kind: 'presence', users: [] } })
      this.transport.unwatch(canvasId)
    }
  }

  ready(canvasId: string): Promise<void> {
    const watching = this.watching.get(canvasId)
    if (!watching) return Promise.resolve()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.late.add(canvasId)
        resolve()
      }, READY_TIMEOUT_MS)
    })
    return Promise.race([watching, timeout]).finally(() => clearTimeout(timer))
  }

  health(): BusHealth {
    return this.transport.health()
  }

  async close(): Promise<void> {
    if (this.closed) return
    // Leaving cleanly: the others drop our users now, not after the expiry.
    this.flushCursors()
    for (const canvasId of this.localPresence.keys()) {
      this.send(canvasId, { t: 'ephemeral', message: { kind: 'presence', users: [] } })
    }
    this.closed = true
    clearInterval(this.heartbeat)
    this.listeners.clear()
    this.sessionListeners.clear()
    this.localPresence.clear()
    this.remotePresence.clear()
    await this.transport.close()
  }

  // ---- TransportSink ------------------------------------------------------------------------

  receive(channel: string, message: WireMessage): void {
    if (this.closed) return
    let from: CanvasListener | undefined
    if (message.src === this.instanceId) {
      if (this.options.localBroadcast) return
      from = this.ownPending.get(message.lid)
      this.ownPending.delete(message.lid)
    }
    if (channel === DEPLOYMENT_CHANNEL) {
      if (message.t === 'session-ended' && message.src !== this.instanceId) {
        for (const listener of this.sessionListeners) listener(message.sessionHash)
      }
      return
    }
    switch (message.t) {
      case 'committed':
        for (const listener of this.listenersOf(channel)) {
          if (listener !== from) listener.committed(message.entries, message.head)
        }
        return
      case 'notice':
        for (const listener of this.listenersOf(channel)) listener.notice(message.notice)
        return
      case 'ephemeral':
        if (message.message.kind === 'presence' && message.src !== this.instanceId) {
          this.rememberPresence(channel, message.src, message.message.users)
        }
        for (const listener of this.listenersOf(channel)) {
          if (listener !== from) listener.ephemeral(message.message, message.src)
        }
        return
      case 'hello':
        if (message.src !== this.instanceId) this.answerHello(channel)
        return
      case 'session-ended':
        return
      default:
        message satisfies never
    }
  }

  resync(): void {
    if (this.closed) return
    for (const canvasId of this.listeners.keys()) {
      // What we published while cut off may be lost: the others learn the head from us again.
      this.tellHead(canvasId, { announce: true })
      // Others may have expired us meanwhile, and we them: both sides re-send.
      this.send(canvasId, { t: 'hello' })
      this.answerHello(canvasId)
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  /**
   * Tells the canvas's listeners the log's head: they read from the log what they missed. With
   * `announce`, the other instances too (a doorbell without entries), since the doorbells this
   * instance rang while its transport was down may never have reached them.
   */
  private tellHead(canvasId: string, options: { announce?: boolean } = {}): void {
    this.options.headSeq(canvasId).then(
      (head) => {
        for (const listener of this.listenersOf(canvasId)) listener.committed([], head)
        if (options.announce === true) this.send(canvasId, { t: 'committed', head, entries: [] })
      },
      (err: unknown) => this.options.onError(err, 'reading the log head after a possible loss'),
    )
  }

  private listenersOf(canvasId: string): Iterable<CanvasListener> {
    const set = this.listeners.get(canvasId)
    return set ? [...set] : []
  }

  private send(channel: string, body: WireBody, from?: CanvasListener): void {
    if (this.closed) return
    const lid = this.nextLid++
    if (!this.options.localBroadcast) {
      this.ownPending.set(lid, from)
      if (this.ownPending.size > MAX_OWN_PENDING) {
        const oldest = this.ownPending.keys().next().value
        if (oldest !== undefined) this.ownPending.delete(oldest)
      }
    }
    try {
      this.transport.send(channel, { ...body, src: this.instanceId, lid })
    } catch (err) {
      // The log has what matters; the others catch up when the transport is back [BUS7].
      this.options.onError(err, 'sending on the bus')
    }
  }

  private rememberPresence(canvasId: string, source: string, users: PresenceUser[]): void {
    let bySource = this.remotePresence.get(canvasId)
    if (users.length === 0) {
      bySource?.delete(source)
      return
    }
    if (!bySource) this.remotePresence.set(canvasId, (bySource = new Map<string, RemotePresence>()))
    bySource.set(source, { users, seenAt: this.options.now() })
  }

  /** Re-sends this instance's presence in a canvas once, however many hellos came meanwhile. */
  private answerHello(canvasId: string): void {
    if (this.helloAnswers.has(canvasId)) return
    this.helloAnswers.add(canvasId)
    queueMicrotask(() => {
      this.helloAnswers.delete(canvasId)
      const users = this.localPresence.get(canvasId)
      if (users) this.send(canvasId, { t: 'ephemeral', message: { kind: 'presence', users } })
    })
  }

  private flushCursors(): void {
    if (this.cursorTimer !== undefined) clearTimeout(this.cursorTimer)
    this.cursorTimer = undefined
    for (const [canvasId, pending] of this.pendingCursors) {
      this.send(canvasId, { t: 'ephemeral', message: { kind: 'cursors', cursors: [...pending.values()] } })
    }
    this.pendingCursors.clear()
  }

  /** Re-sends local presence, and drops (telling the listeners) instances silent for too long. */
  private beat(): void {
    for (const [canvasId, users] of this.localPresence) {
      this.send(canvasId, { t: 'ephemeral', message: { kind: 'presence', users } })
    }
    const oldest = this.options.now() - this.options.presenceExpiryMs
    for (const [canvasId, bySource] of this.remotePresence) {
      for (const [source, { seenAt }] of bySource) {
        if (seenAt >= oldest) continue
        bySource.delete(source)
        for (const listener of this.listenersOf(canvasId)) {
          listener.ephemeral({ kind: 'presence', users: [] }, source)
        }
      }
    }
  }
}

import { CLOSE_CODES, FINAL_CLOSE_CODES } from '../../protocol/closeCodes.js'
import type { ServerMessage, UnbatchedServerMessage } from '../../protocol/messages.js'
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js'

/**
 * One canvas's socket over time (docs/spec/sync.md, SYNC22, SYNC23, SYNC26): opens it, sends the
 * `auth` the owner builds, keeps it alive with pings, and when it is lost opens another after a
 * backoff, until a close code says retrying cannot help or stop() is called. It knows nothing of
 * ops, presence or state: messages go to `onMessage`, and the owner marks the socket joined when
 * the welcome arrives.
 */

/**
 * connecting: the first attempt · online: joined (auth-success) · offline: no socket, waiting
 * `retryAt` · reconnecting: a later attempt · closed: stop(), or a close code that ends it.
 */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'closed'

/** What the engine needs of a WebSocket: the browser's and the `ws` package's both fit. */
export interface SyncSocket {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
  addEventListener(type: 'open' | 'error', listener: () => void): void
}

export type SyncSocketConstructor = new (url: string) => SyncSocket

export interface CloseReason {
  code: number
  message: string
}

export interface ConnectionHandlers {
  /** The `auth` message for a socket that just opened (with `lastSeq` to resume). */
  authMessage(): Record<string, unknown>
  /** One server message (a batch arrives unpacked, in order). */
  onMessage(message: UnbatchedServerMessage): void
  /** The current socket is gone (lost, abandoned, final or stopped): what was tied to it goes too. */
  onSocketLost(): void
  /** A failure worth showing: a frame that is not JSON, a URL that cannot be opened. */
  onError(code: 'invalid_input', message: string): void
  /** status, retryAt or closeReason changed, or a frame was handled. */
  onChange(): void
}

export interface ConnectionOptions {
  url: string
  WebSocketImpl: SyncSocketConstructor
  now: () => number
  random: () => number
  reconnect?: BackoffPolicy
  /** A ping after this long without a frame; dropped when unanswered as long again [SYNC26]. */
  heartbeatMs: number
}

const SOCKET_OPEN = 1
const CLOSE_NORMAL = 1000
/** Ours: the socket went quiet (no frame for two heartbeats), or the server must send the whole canvas. */
const CLOSE_STALE = 4000
/** What a final close means when the server gave no reason (docs/protocol.md "Close codes") [SYNC23]. */
const FINAL_CLOSE_MESSAGES: ReadonlyMap<number, string> = new Map([
  [CLOSE_CODES.unauthorized, 'signed out: sign in again'],
  [CLOSE_CODES.forbidden, 'this canvas is not shared with you'],
  [CLOSE_CODES.notFound, 'no such canvas'],
  [CLOSE_CODES.canvasDeleted, 'this canvas was deleted'],
])

export class SocketConnection {
  private readonly backoff: BackoffPolicy
  private started = false
  private stopped = false
  private socket: SyncSocket | undefined
  /** auth-success came on the current socket: ops and cursors may be sent. */
  private joinedSocket = false
  private wasOnline = false
  private attempt = 0
  private currentStatus: ConnectionStatus = 'connecting'
  private currentRetryAt: number | undefined
  private currentCloseReason: CloseReason | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined
  private lastFrameAt = 0
  private pingSentAt: number | undefined
  private readonly onBrowserOnline = () => this.reconnectNow()
  /**
   * The browser knows the network is gone long before a heartbeat can tell: a socket to a dead
   * network can stay "open" for many seconds, showing Connected while edits go nowhere [ED-D3].
   */
  private readonly onBrowserOffline = () => {
    if (this.socket !== undefined) this.abandon('the browser is offline')
  }

  constructor(
    private readonly options: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.backoff = options.reconnect ?? DEFAULT_BACKOFF
  }

  get status(): ConnectionStatus {
    return this.currentStatus
  }

  /** While `offline`: when the next attempt starts (Unix ms of `now`). */
  get retryAt(): number | undefined {
    return this.currentStatus === 'offline' ? this.currentRetryAt : undefined
  }

  /** Why it gave up: set by a final close code, cleared by the next welcome [SYNC23]. */
  get closeReason(): CloseReason | undefined {
    return this.currentCloseReason
  }

  get joined(): boolean {
    return this.joinedSocket
  }

  /** No more sockets will be opened: stop() was called or a close code ended it. */
  get ended(): boolean {
    return this.stopped || this.currentCloseReason !== undefined
  }

  /** Opens the first socket; listens to the browser's `online` event to retry at once. */
  start(): void {
    if (this.started || this.stopped) return
    this.started = true
    browserEvents()?.addEventListener('online', this.onBrowserOnline)
    browserEvents()?.addEventListener('offline', this.onBrowserOffline)
    this.connect()
  }

  /** Closes the socket and clears every timer; nothing is opened again. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    browserEvents()?.removeEventListener('online', this.onBrowserOnline)
    browserEvents()?.removeEventListener('offline', this.onBrowserOffline)
    this.clearRetry()
    const socket = this.socket
    this.dropSocket()
    closeQuietly(socket, CLOSE_NORMAL, 'stopped')
    this.currentStatus = 'closed'
    this.currentRetryAt = undefined
    this.handlers.onChange()
  }

  /** Tries now instead of waiting for the backoff (a "retry" button; the browser's `online` event). */
  reconnectNow(): void {
    if (!this.started || this.stopped || this.socket !== undefined || this.currentStatus === 'closed') return
    this.attempt = 0
    this.connect()
  }

  /** The welcome came: the socket is online, and the backoff starts over. */
  markJoined(): void {
    this.joinedSocket = true
    this.wasOnline = true
    this.attempt = 0
    this.currentStatus = 'online'
    this.currentCloseReason = undefined
  }

  /** Sends `message` on a joined, open socket; false (nothing sent) otherwise. */
  send(message: object): boolean {
    const socket = this.socket
    if (!this.joinedSocket || socket === undefined || socket.readyState !== SOCKET_OPEN) return false
    socket.send(JSON.stringify(message))
    return true
  }

  /** Gives up on the current socket (silent, or not wanted) and tries again after `delay`. */
  abandon(reason: string, delay?: number): void {
    const socket = this.socket
    this.dropSocket()
    closeQuietly(socket, CLOSE_STALE, reason)
    this.scheduleReconnect(delay)
  }

  private connect(): void {
    this.clearRetry()
    this.currentRetryAt = undefined
    this.currentStatus = this.wasOnline || this.attempt > 0 ? 'reconnecting' : 'connecting'
    this.handlers.onChange()
    let socket: SyncSocket
    try {
      socket = new this.options.WebSocketImpl(this.options.url)
    } catch (err) {
      this.handlers.onError('invalid_input', `cannot open ${this.options.url}: ${messageOf(err)}`)
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    this.joinedSocket = false
    this.lastFrameAt = this.options.now()
    this.pingSentAt = undefined
    socket.addEventListener('open', () => {
      // Resume: the server sends only what we missed, if it still has it [SYNC22].
      if (this.socket === socket) socket.send(JSON.stringify(this.handlers.authMessage()))
    })
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.handleFrame(socket, event.data)
    })
    socket.addEventListener('close', (event) => {
      if (this.socket === socket) this.handleClose(event.code, event.reason)
    })
    socket.addEventListener('error', () => {
      // 'close' follows, and is where the connection reacts.
    })
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(), this.options.heartbeatMs / 2)
  }

  private handleFrame(socket: SyncSocket, data: unknown): void {
    this.lastFrameAt = this.options.now()
    this.pingSentAt = undefined
    if (typeof data !== 'string') return
    let message: ServerMessage
    try {
      message = JSON.parse(data) as ServerMessage
    } catch {
      this.handlers.onError('invalid_input', 'the server sent a frame that is not JSON')
      this.handlers.onChange()
      return
    }
    const messages = message.type === 'batch' ? message.messages : [message]
    for (const m of messages) {
      this.handlers.onMessage(m)
      if (this.socket !== socket) break // the welcome asked for a fresh start
    }
    this.handlers.onChange()
  }

  private handleClose(code: number, reason: string): void {
    this.dropSocket()
    if (FINAL_CLOSE_CODES.has(code)) {
      this.currentStatus = 'closed'
      this.currentRetryAt = undefined
      this.currentCloseReason = { code, message: reason === '' ? finalMessage(code) : reason }
      this.handlers.onChange()
      return
    }
    this.scheduleReconnect()
  }

  private dropSocket(): void {
    const had = this.socket !== undefined
    this.socket = undefined
    this.joinedSocket = false
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer)
    this.heartbeatTimer = undefined
    this.pingSentAt = undefined
    if (had) this.handlers.onSocketLost()
  }

  private scheduleReconnect(delay = backoffDelay(this.attempt++, this.backoff, this.options.random)): void {
    if (this.stopped) return
    this.clearRetry()
    this.currentStatus = 'offline'
    this.currentRetryAt = this.options.now() + delay
    this.retryTimer = setTimeout(() => this.connect(), delay)
    this.handlers.onChange()
  }

  /**
   * A ping after a quiet heartbeat; a ping unanswered for another heartbeat, or no welcome within
   * two, and the socket is dead [SYNC26]. Judged from the ping, not from the quiet alone: a
   * background tab's timers run late, and a late tick must not condemn a healthy socket.
   */
  private checkHeartbeat(): void {
    const socket = this.socket
    if (socket === undefined) return
    const now = this.options.now()
    const { heartbeatMs } = this.options
    if (!this.joinedSocket) {
      if (now - this.lastFrameAt >= 2 * heartbeatMs) this.abandon('no welcome from the server')
      return
    }
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt >= heartbeatMs) this.abandon('no answer to ping')
      return
    }
    if (now - this.lastFrameAt >= heartbeatMs && socket.readyState === SOCKET_OPEN) {
      socket.send(JSON.stringify({ type: 'ping', t: now }))
      this.pingSentAt = now
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
  }
}

/** The socket URL of a canvas for a page served from `pageUrl` (e.g. `location.href`): same host, ws or wss. */
export function canvasSocketUrl(canvasId: string, pageUrl: string): string {
  const url = new URL(`/ws/${encodeURIComponent(canvasId)}`, pageUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.href
}

function finalMessage(code: number): string {
  return FINAL_CLOSE_MESSAGES.get(code) ?? `closed by the server (${code})`
}

interface BrowserEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void
  removeEventListener(type: 'online' | 'offline', listener: () => void): void
}

/** `window` in a browser (its `online` and `offline` events), undefined elsewhere. */
function browserEvents(): BrowserEvents | undefined {
  const target = globalThis as Partial<BrowserEvents>
  return typeof target.addEventListener === 'function' && typeof target.removeEventListener === 'function'
    ? (target as BrowserEvents)
    : undefined
}

function closeQuietly(socket: SyncSocket | undefined, code: number, reason: string): void {
  try {
    socket?.close(code, reason)
  } catch {
    // Closing a socket that is already closing is not an error worth reporting.
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

// Over 400 lines on purpose: every stage of a socket's life (upgrade, pre-auth slots, handshake,
// metering, dispatch, sweep, shutdown) reads and changes the same socket sets and counts. What
// stands alone lives beside it: handshake.ts, connection.ts, socketListeners.ts, userBudgets.ts.
import { LocalSocketCounts, type SocketCounts } from '../../log/socketCounts.js'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { WebSocketServer, type RawData } from 'ws'
import type { Accounts } from '../../auth/accounts.js'
import { opFromMessage } from '../../core/room/opFromMessage.js'
import { AppError } from '../../protocol/appError.js'
import { CLOSE_CODES } from '../../protocol/closeCodes.js'
import {
  isClientOpMessage,
  parseClientMessage,
  type ClientMessage,
  type ClientOpMessage,
} from '../../protocol/messages.js'
import type { OpResult } from '../../rooms/roomClient.js'
import type { RoomHost } from '../../rooms/roomHost.js'
import type { RoomRegistry } from '../../rooms/roomRegistry.js'
import type { CanvasStore } from '../../store/canvasStore.js'
import { sessionCookieOf } from '../plugins/authentication.js'
import { addressKey } from './clientAddress.js'
import { CanvasSocket, Connection, type Member, type SocketHandler } from './connection.js'
import { handshake } from './handshake.js'
import { destroySocket, listenTo, rawToString, refuseUpgrade } from './socketListeners.js'
import { UserBudgets } from './userBudgets.js'
import { DEFAULT_REALTIME_LIMITS, type RealtimeLimits } from './realtimeLimits.js'
import type { RealtimeMetrics } from './realtimeMetrics.js'

/** How long a socket closed for slowness may take to read its close frame before it is cut. */
const SLOW_CONSUMER_GRACE_MS = 1_000
/** How long shutdown waits for clients to answer the close handshake before cutting them. */
const SHUTDOWN_GRACE_MS = 2_000
/**
 * How long any socket the server closed may take to answer the close handshake before the sweep
 * cuts it (ws itself would wait 30 s): a client that never answers must not hold its slot.
 */
const CLOSE_GRACE_MS = 1_000

const WS_PATH = /^\/ws\/([A-Za-z0-9_-]{1,64})\/?(?:\?.*)?$/

export interface GatewayDeps {
  accounts: Accounts
  store: CanvasStore
  rooms: RoomRegistry
  metrics: RealtimeMetrics
  logger: FastifyBaseLogger
  now: () => number
  /** Decides whether a browser page from `origin` may open a socket for a request to `host`. */
  isAllowedOrigin(origin: string, request: IncomingMessage): boolean
  /** The client's address, through trusted proxies (TRUST_PROXY): what per-address caps count [W6]. */
  clientAddress(request: IncomingMessage): string | undefined
  limits?: Partial<RealtimeLimits>
  /** Sockets per user over the deployment, for maxConnectionsPerUser; default: this process's. */
  socketCounts?: SocketCounts
  /** Test hook [W10]: called before each message is handled; may throw or reject. */
  beforeHandle?: (type: string) => void | Promise<void>
}

/**
 * The WebSocket endpoint /ws/:canvasId on the HTTP server's port: upgrade checks, the auth
 * handshake, then every frame routed to the socket's RoomHost, one caller of its way in among
 * others. One process, many sockets: no
 * per-socket timers; a sweep handles deadlines, heartbeats and session expiry.
 */
export class RealtimeGateway implements SocketHandler {
  readonly limits: Readonly<RealtimeLimits>
  readonly rooms: RoomRegistry
  private readonly wss: WebSocketServer
  private readonly unauthenticated = new Set<Connection>()
  /** Pre-auth sockets per address key (see addressKey) [W6]. */
  private readonly unauthenticatedByAddress = new Map<string, number>()
  private readonly userBudgets: UserBudgets
  private readonly userJoins: UserBudgets
  private readonly bySession = new Map<string, Set<Connection>>()
  private readonly perUser = new Map<string, number>()
  private readonly socketCounts: SocketCounts
  private sweepTimer: NodeJS.Timeout | undefined
  private lastHeartbeat: number
  private closing = false
  /** Resolves shutdown's wait once the last socket is gone. */
  private onEmpty: (() => void) | undefined

  constructor(private readonly deps: GatewayDeps) {
    this.limits = Object.freeze({ ...DEFAULT_REALTIME_LIMITS, ...deps.limits })
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.limits.maxPayloadBytes,
      maxFragments: this.limits.maxFragments,
      // Control pings are answered by handlePing, within the socket's message budget [W3].
      autoPong: false,
      WebSocket: CanvasSocket,
    })
    this.rooms = deps.rooms
    this.socketCounts = deps.socketCounts ?? new LocalSocketCounts()
    this.userBudgets = new UserBudgets(this.limits.userMessages)
    this.userJoins = new UserBudgets(this.limits.userJoins)
    this.lastHeartbeat = deps.now()
    this.sweepTimer = setInterval(() => this.sweep(), this.limits.sweepIntervalMs)
    this.sweepTimer.unref()
    deps.accounts.onSessionRevoked((sessionHash) => this.dropSession(sessionHash))
  }

  /** The HTTP server's 'upgrade' handler: refuses before the 101 whatever must not connect. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server takes its error listener off the socket it hands over: without one, a
    // client that resets the connection (while we answer, or before it reads the refusal)
    // raises an uncaught 'error' that ends the process [W11]. ws adds its own after the 101.
    socket.on('error', destroySocket)
    const match = WS_PATH.exec(request.url ?? '')
    const canvasId = match?.[1]
    if (canvasId === undefined) return refuseUpgrade(socket, 404, 'Not Found')
    if (this.closing) return refuseUpgrade(socket, 503, 'Service Unavailable')
    const cookieToken = sessionCookieOf(request.headers)
    const origin = request.headers.origin
    // Cross-site WebSocket hijacking [W9]: a browser sends Origin; a cookie-bearing upgrade must
    // come from an allowed one. Clients without cookies authenticate by token and may omit it.
    if (origin !== undefined ? !this.deps.isAllowedOrigin(origin, request) : cookieToken !== undefined) {
      return refuseUpgrade(socket, 403, 'Forbidden')
    }
    const address = addressKey(this.deps.clientAddress(request))
    if (
      this.unauthenticated.size >= this.limits.maxUnauthenticated ||
      (this.unauthenticatedByAddress.get(address) ?? 0) >= this.limits.maxUnauthenticatedPerAddress
    ) {
      return refuseUpgrade(socket, 503, 'Service Unavailable')
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      socket.off('error', destroySocket)
      const connection = new Connection(
        ws as CanvasSocket,
        canvasId,
        this.deps.now() + this.limits.authTimeoutMs,
        cookieToken,
      )
      this.accept(connection, address)
    })
  }

  /** Closes every socket (1001, clients resume elsewhere), then flushes and snapshots every room. */
  async close(): Promise<void> {
    this.closing = true
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
    for (const connection of [...this.unauthenticated])
      connection.close(CLOSE_CODES.goingAway, 'server shutting down')
    for (const sockets of this.bySession.values()) {
      for (const connection of sockets) connection.close(CLOSE_CODES.goingAway, 'server shutting down')
    }
    await this.rooms.closeAll()
    // A client that does not read never completes the close handshake: cut it after a grace.
    if (!this.isEmpty()) {
      await new Promise<void>((resolve) => {
        this.onEmpty = resolve
        setTimeout(resolve, SHUTDOWN_GRACE_MS).unref()
      })
    }
    for (const connection of [...this.unauthenticated]) connection.socket.terminate()
    for (const sockets of [...this.bySession.values()]) for (const c of [...sockets]) c.socket.terminate()
    this.wss.close()
  }

  /** The user's open, authenticated sockets on this instance. */
  connectionsOf(userId: string): Connection[] {
    const found: Connection[] = []
    for (const sockets of this.bySession.values()) {
      for (const connection of sockets) if (connection.member?.userId === userId) found.push(connection)
    }
    return found
  }

  private isEmpty(): boolean {
    return this.unauthenticated.size === 0 && this.bySession.size === 0
  }

  private accept(connection: Connection, address: string): void {
    const socket = connection.socket
    socket.connection = connection
    listenTo(socket)
    socket.handler = this
    this.unauthenticated.add(connection)
    connection.preAuthAddress = address
    this.unauthenticatedByAddress.set(address, (this.unauthenticatedByAddress.get(address) ?? 0) + 1)
    this.deps.metrics.connections.inc()
  }

  /** The socket joined or is gone: its pre-auth slots (global and per address) are free. */
  private releasePreAuth(connection: Connection): void {
    this.unauthenticated.delete(connection)
    const address = connection.preAuthAddress
    if (address === undefined) return
    connection.preAuthAddress = undefined
    const left = (this.unauthenticatedByAddress.get(address) ?? 1) - 1
    if (left <= 0) this.unauthenticatedByAddress.delete(address)
    else this.unauthenticatedByAddress.set(address, left)
  }

  /**
   * Every frame of every socket comes through here and spends from the socket's and the user's
   * message budget first, whatever it holds (even invalid or binary) [W3].
   */
  handleFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.phase === 'closed') return
    connection.alive = true
    if (!this.allowMessage(connection)) return this.refuse(connection, data, isBinary)
    connection.overBudget = false
    this.handleAdmitted(connection, data, isBinary)
  }

  /** A frame within budget; a handler that throws costs one error frame [W10]. */
  private handleAdmitted(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.phase === 'closed') return
    if (isBinary) {
      connection.sendError('invalid_input', 'binary frames are not supported; send JSON text frames')
      return this.strike(connection)
    }
    const text = rawToString(data)
    if (connection.phase === 'authenticating' || connection.phase === 'joining') {
      return this.hold(connection, text)
    }
    const parsed = parseClientMessage(text)
    if (!parsed.ok) {
      this.deps.metrics.messagesIn.inc({ type: 'invalid' })
      // The field lets a client point at what it got wrong [PROTO3].
      connection.sendError(parsed.code, parsed.message, parsed.opId, parsed.field)
      return this.strike(connection)
    }
    this.deps.metrics.messagesIn.inc({ type: parsed.message.type })
    this.dispatch(connection, parsed.message).catch((err: unknown) => this.handlerFailed(connection, err))
  }

  /** A control ping: answered within the message budget, otherwise refused (no pong) and a strike. */
  handlePing(connection: Connection, data: Buffer): void {
    if (connection.phase === 'closed') return
    connection.alive = true
    if (!this.allowMessage(connection)) return this.refuse(connection, undefined)
    connection.overBudget = false
    connection.socket.pong(data)
    // A client that pings without reading fills its own send buffer and is cut off [W3].
    this.checkBackpressure(connection)
  }

  /** A control pong: proof of life for the heartbeat, metered so that a pong flood is not free. */
  handlePong(connection: Connection): void {
    if (connection.phase === 'closed') return
    connection.alive = true
    if (!this.allowMessage(connection)) this.refuse(connection, undefined)
    else connection.overBudget = false
  }

  /** Spends one message from the socket's budget and, once it is known, its user's [W3]. */
  private allowMessage(connection: Connection): boolean {
    const now = this.deps.now()
    if (!connection.allowMessage(this.limits.messages, now)) return false
    const userId = connection.member?.userId
    if (userId === undefined) return true
    return this.userBudgets.take(userId, now)
  }

  /**
   * Over budget: not handled, and a strike. An operation is refused with its opId, so the client
   * keeps it and sends it again (it must not wait for an ack that never comes); anything else
   * gets one error per run of refusals, not one each: refusing must stay much cheaper than
   * answering, or a flood of refused pings costs what a flood of answered ones did.
   */
  private refuse(connection: Connection, data: RawData | undefined, isBinary = false): void {
    this.deps.metrics.messagesIn.inc({ type: 'refused' })
    const text = data === undefined || isBinary ? '' : rawToString(data)
    // Only a frame that names an opId can be an operation: the others are not parsed.
    const parsed = text.includes('"opId"') ? parseClientMessage(text) : undefined
    const opId = parsed?.ok && isClientOpMessage(parsed.message) ? parsed.message.opId : undefined
    if (opId !== undefined) connection.sendError('rate_limited', 'too many messages, slow down', opId)
    else if (!connection.overBudget) {
      connection.sendError('rate_limited', 'too many messages: dropped until the budget refills')
    }
    connection.overBudget = true
    this.strike(connection)
  }

  private async dispatch(connection: Connection, message: ClientMessage): Promise<void> {
    const awaitingAuth = connection.phase === 'awaiting-auth'
    // Set before the first await: frames right behind the auth message (a reconnecting client's
    // pending ops) must be held until it is answered, not dropped as if already joined [GW2].
    const authenticating = awaitingAuth && message.type === 'auth'
    if (authenticating) connection.phase = 'authenticating'
    try {
      await this.deps.beforeHandle?.(message.type)
      if (awaitingAuth) {
        if (message.type !== 'auth')
          return this.reject(connection, 'authenticate first: send {"type":"auth"}')
        return await this.authenticate(connection, message.token, message.lastSeq)
      }
      const room = connection.room
      const member = connection.member
      if (!room || !member) return
      const now = this.deps.now()
      switch (message.type) {
        case 'auth':
          connection.sendError('invalid_input', 'already authenticated')
          return
        case 'ping':
          // Metered by the message budget like every frame (handleFrame); a pinging client that
          // does not read is also cut off by the send-buffer cap [W3].
          connection.send({ type: 'pong', t: message.t })
          return
        case 'cursor':
          if (!connection.allowCursor(this.limits.cursors, now)) return this.strike(connection)
          room.moveCursor(connection, message.x, message.y)
          return
        case 'selection':
          // Presence like cursors: same bucket, any role, never logged.
          if (!connection.allowCursor(this.limits.cursors, now)) return this.strike(connection)
          room.select(connection, message.ids)
          return
        case 'preview':
          // Motion like cursors: the same bucket; the room checks the role [PROTO18].
          if (!connection.allowCursor(this.limits.cursors, now)) return this.strike(connection)
          room.preview(connection, message.objects)
          return
        case 'viewport':
          // Motion like cursors: the same bucket, any role, never logged [PROTO19].
          if (!connection.allowCursor(this.limits.cursors, now)) return this.strike(connection)
          room.moveViewport(connection, message.x, message.y, message.width, message.height)
          return
        case 'object-create':
        case 'object-update':
        case 'object-delete':
          if (!connection.allowOp(this.limits.ops, now)) {
            connection.sendError('rate_limited', 'too many operations, slow down', message.opId)
            return this.strike(connection)
          }
          this.submit(room, member, connection, message)
          return
        default:
          message satisfies never
      }
    } catch (err) {
      // With the opId the client knows which pending op was not stored and can resend it [W10].
      this.handlerFailed(connection, err, isClientOpMessage(message) ? message.opId : undefined)
      // Failed before the handshake began (joining failures close the socket): auth may be sent again.
      if (authenticating && !connection.closed) {
        connection.phase = 'awaiting-auth'
        this.replayHeld(connection)
      }
    }
  }

  /** One frame, one operation through the room's way in; the room acks, refusals come back here. */
  private submit(room: RoomHost, member: Member, connection: Connection, message: ClientOpMessage): void {
    room
      .submit(member, [opFromMessage(message)], connection)
      .then((results) => reportRefusals(connection, results))
      .catch((err: unknown) => this.handlerFailed(connection, err, message.opId))
  }

  private handlerFailed(connection: Connection, err: unknown, opId?: string): void {
    if (err instanceof AppError && err.code !== 'internal') {
      connection.sendError(err.code, err.message, opId)
      return
    }
    this.deps.metrics.handlerErrors.inc()
    this.deps.logger.error({ err, canvasId: connection.canvasId }, 'message handler failed')
    connection.sendError('internal', 'internal error', opId)
  }

  /** The handshake: session, canvas access, caps, then the room. A failure ends the socket. */
  private async authenticate(connection: Connection, token: string | undefined, lastSeq: number | undefined) {
    try {
      await this.join(connection, token, lastSeq)
    } catch (err) {
      // Storage down or a bug while joining: the socket cannot be served; the client retries.
      this.handlerFailed(connection, err)
      connection.close(CLOSE_CODES.internalError, 'could not join')
    }
  }

  private async join(connection: Connection, token: string | undefined, lastSeq: number | undefined) {
    const result = await handshake(this.deps, connection.canvasId, token ?? connection.cookieToken ?? '')
    if (connection.closed) return
    if (!result.ok) {
      connection.sendError(result.code, result.message)
      return this.finishAuth(connection, result.closeCode)
    }
    const { member } = result
    // Counted over every instance of the deployment [I1].
    if (!(await this.socketCounts.tryAdd(member.userId, this.limits.maxConnectionsPerUser))) {
      if (connection.closed) return
      connection.sendError(
        'limit_exceeded',
        `at most ${this.limits.maxConnectionsPerUser} connections per user`,
      )
      return this.finishAuth(connection, CLOSE_CODES.tooManyConnections)
    }
    if (connection.closed || !this.userJoins.take(member.userId, this.deps.now())) {
      this.socketCounts.remove(member.userId)
      if (connection.closed) return
      connection.sendError('rate_limited', 'too many joins for this user: wait a moment before reconnecting')
      return this.finishAuth(connection, CLOSE_CODES.tooManyConnections)
    }
    this.releasePreAuth(connection)
    this.perUser.set(member.userId, (this.perUser.get(member.userId) ?? 0) + 1)
    connection.member = member
    let sockets = this.bySession.get(member.sessionHash)
    if (!sockets) this.bySession.set(member.sessionHash, (sockets = new Set()))
    sockets.add(connection)
    connection.phase = 'joining'
    const room = await this.rooms.acquire(connection.canvasId)
    connection.room = room
    if (!(await room.join(connection, member, lastSeq)) || connection.closed) return
    connection.phase = 'joined'
    this.replayHeld(connection)
  }

  /** Frames held while authenticating or joining, handled in arrival order. */
  private replayHeld(connection: Connection): void {
    const held = connection.held ?? []
    connection.held = undefined
    connection.heldBytes = 0
    // Already metered when they arrived.
    for (const text of held) this.handleAdmitted(connection, Buffer.from(text), false)
  }

  private reject(connection: Connection, message: string): void {
    connection.sendError('unauthorized', message)
    this.finishAuth(connection, CLOSE_CODES.unauthorized)
  }

  private finishAuth(connection: Connection, code: number): void {
    connection.close(code, code === CLOSE_CODES.unauthorized ? 'unauthorized' : 'refused')
  }

  /** Frames that arrive while the room loads are kept, within limits, and replayed in order. */
  private hold(connection: Connection, text: string): void {
    connection.held ??= []
    connection.held.push(text)
    connection.heldBytes += text.length
    if (
      connection.held.length > this.limits.maxBufferedFrames ||
      connection.heldBytes > this.limits.maxBufferedBytes
    ) {
      this.deps.metrics.closedForAbuse.inc({ reason: 'held_frames' })
      connection.close(CLOSE_CODES.policy, 'too many frames before joining')
    }
  }

  private strike(connection: Connection): void {
    if (connection.strike(this.limits.strikes, this.deps.now())) return
    this.deps.metrics.closedForAbuse.inc({ reason: 'flood' })
    connection.sendError('rate_limited', 'too many refused messages: closing')
    connection.close(CLOSE_CODES.flood, 'flood')
    // Nothing it sends from here is read: a flood costs no more parsing while the close frame
    // goes out, and the sweep cuts the socket after the close grace [W3].
    connection.socket.pause()
  }

  /** Called from the socket's 'close' event: the single place a connection is forgotten. */
  forget(connection: Connection): void {
    connection.phase = 'closed'
    this.releasePreAuth(connection)
    this.deps.metrics.connections.dec()
    const member = connection.member
    if (member) this.forgetMember(connection, member)
    if (this.onEmpty && this.isEmpty()) this.onEmpty()
  }

  private forgetMember(connection: Connection, member: Member): void {
    connection.room?.leave(connection)
    const sockets = this.bySession.get(member.sessionHash)
    if (sockets?.delete(connection) && sockets.size === 0) this.bySession.delete(member.sessionHash)
    const count = (this.perUser.get(member.userId) ?? 1) - 1
    if (count <= 0) this.perUser.delete(member.userId)
    else this.perUser.set(member.userId, count)
    this.socketCounts.remove(member.userId)
  }

  /** A logged-out session loses its sockets at once [A3]. */
  private dropSession(sessionHash: string): void {
    for (const connection of [...(this.bySession.get(sessionHash) ?? [])]) {
      connection.sendError('unauthorized', 'session ended')
      connection.close(CLOSE_CODES.unauthorized, 'session ended')
    }
  }

  /**
   * Auth deadlines, session expiry, heartbeats, close handshakes that never finish and idle
   * rooms, for all sockets at once.
   */
  private sweep(): void {
    const now = this.deps.now()
    for (const connection of this.unauthenticated) {
      if (connection.closed) this.cutAfterGrace(connection, now)
      else if (now >= connection.authDeadline && connection.phase === 'awaiting-auth') {
        connection.sendError('unauthorized', 'no auth message in time')
        connection.close(CLOSE_CODES.unauthorized, 'auth timeout')
        // A silent client never answers the close handshake either: the frames above are written
        // for a client that reads, and the socket and its slot go now [W6].
        connection.socket.terminate()
      }
    }
    const heartbeat = now - this.lastHeartbeat >= this.limits.pingIntervalMs
    if (heartbeat) this.lastHeartbeat = now
    for (const sockets of this.bySession.values()) {
      for (const connection of sockets) {
        if (connection.closed) {
          this.cutAfterGrace(connection, now)
          continue
        }
        if (connection.member && now >= connection.member.sessionExpiresAt) {
          connection.sendError('unauthorized', 'session expired')
          connection.close(CLOSE_CODES.unauthorized, 'session expired')
          continue
        }
        if (!heartbeat) continue
        if (!connection.alive) {
          connection.socket.terminate()
          continue
        }
        connection.alive = false
        connection.socket.ping()
      }
    }
    if (heartbeat) {
      for (const connection of this.unauthenticated) if (!connection.closed) connection.socket.ping()
      this.userBudgets.forgetRefilled(now, (userId) => this.perUser.has(userId))
      this.userJoins.forgetRefilled(now, (userId) => this.perUser.has(userId))
    }
    void this.rooms.evictIdle(this.limits.emptyRoomTtlMs)
  }

  /** A socket the server closed gets CLOSE_GRACE_MS (from the first sweep that sees it) to finish. */
  private cutAfterGrace(connection: Connection, now: number): void {
    if (connection.closeGraceEndsAt === undefined) connection.closeGraceEndsAt = now + CLOSE_GRACE_MS
    else if (now >= connection.closeGraceEndsAt) connection.socket.terminate()
  }

  /**
   * Slow readers: cursors stop first (RoomHost), then the socket is closed with 4009 so the
   * client knows to resume [W4]. The close frame waits behind what the client has not read, so
   * a client that reads nothing at all is terminated a moment later.
   */
  checkBackpressure(connection: Connection): void {
    const buffered = connection.socket.bufferedAmount
    const cap = this.limits.maxSendBufferBytes
    if (buffered <= cap) connection.stateAllowance = 0
    if (buffered <= cap + connection.stateAllowance || connection.closed) return
    this.deps.metrics.closedForAbuse.inc({ reason: 'slow_consumer' })
    connection.close(CLOSE_CODES.slowConsumer, 'too slow: resume with lastSeq')
    const socket = connection.socket
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref()
  }
}

function reportRefusals(connection: Connection, results: readonly OpResult[]): void {
  for (const result of results) {
    if (!result.ok) connection.sendError(result.code, result.message, result.opId, result.field)
  }
}

import WebSocket from 'ws'
import { fullBucket, take, type Bucket, type BucketRule } from '../../core/tokenBucket.js'
import type { CloseCode } from '../../protocol/closeCodes.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import type { RoomClient, RoomMember } from '../../rooms/roomClient.js'
import type { RoomHost } from '../../rooms/roomHost.js'

/** Who is behind a joined socket. The room changes `role` when the owner does [Z2]. */
export interface Member extends RoomMember {
  sessionHash: string
  /** Unix ms; the sweep closes the socket once passed. */
  sessionExpiresAt: number
}

/**
 * Where a socket is in its life. awaiting-auth → authenticating → joining → joined → closed;
 * any phase may go straight to closed.
 */
export type Phase = 'awaiting-auth' | 'authenticating' | 'joining' | 'joined' | 'closed'

/**
 * The ws socket class the server constructs, carrying its Connection so the shared listeners
 * (one function for all sockets, no closure per socket) can find it.
 */
export class CanvasSocket extends WebSocket {
  connection: Connection | undefined
  handler: SocketHandler | undefined
}

/** What the gateway does with a socket's events. */
export interface SocketHandler {
  handleFrame(connection: Connection, data: WebSocket.RawData, isBinary: boolean): void
  forget(connection: Connection): void
  checkBackpressure(connection: Connection): void
}

/**
 * One socket's state. Kept small on purpose: an idle authenticated socket must cost a few KB,
 * so no per-socket timers or closures (the gateway sweeps deadlines and heartbeats).
 */
export class Connection implements RoomClient {
  phase: Phase = 'awaiting-auth'
  member: Member | undefined
  room: RoomHost | undefined
  /** Frames that arrived while authenticating or joining, replayed in order once joined. */
  held: string[] | undefined
  heldBytes = 0
  alive = true
  /** Bytes of state being sent that do not count against the send-buffer cap (see sendState). */
  stateAllowance = 0
  private opBucket: Bucket | undefined
  private cursorBucket: Bucket | undefined
  private strikeBucket: Bucket | undefined

  constructor(
    readonly socket: CanvasSocket,
    readonly canvasId: string,
    /** Unix ms by which the auth message must have arrived. */
    readonly authDeadline: number,
    /** The session cookie that came with the upgrade, if any (a browser may omit the token). */
    readonly cookieToken: string | undefined,
  ) {}

  /** Read through a getter so TypeScript does not narrow it across awaits. */
  get closed(): boolean {
    return this.phase === 'closed'
  }

  get isOpen(): boolean {
    return this.phase !== 'closed' && this.socket.readyState === WebSocket.OPEN
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount
  }

  /** Sends one encoded text frame. */
  deliver(frame: Buffer): void {
    if (this.isOpen) {
      this.socket.send(frame, { binary: false })
      if (this.socket.bufferedAmount > 0) this.socket.handler?.checkBackpressure(this)
    }
  }

  /**
   * Sends one message. Everything sent goes through the send-buffer cap: a client that keeps
   * sending (pings, ops) without reading piles up our answers and is cut off like any slow
   * receiver [W3, W4].
   */
  send(message: object): void {
    if (!this.isOpen) return
    this.socket.send(JSON.stringify(message))
    if (this.socket.bufferedAmount > 0) this.socket.handler?.checkBackpressure(this)
  }

  /**
   * Sends the canvas state or a resume page: legitimately large, so what it leaves in the send
   * buffer is allowed on top of the cap until the client has read it.
   */
  sendState(frame: Buffer): void {
    if (!this.isOpen) return
    this.socket.send(frame, { binary: false })
    this.stateAllowance = this.socket.bufferedAmount
  }

  /** Sends an error frame: the socket stays open. */
  sendError(code: string, message: string, opId?: string, field?: string): void {
    const frame: { type: 'error'; code: string; message: string; opId?: string; field?: string } = {
      type: 'error',
      code,
      message,
    }
    if (opId !== undefined) frame.opId = opId
    if (field !== undefined) frame.field = field
    this.send(frame)
  }

  evict(code: ErrorCode, message: string, closeCode: CloseCode): void {
    this.sendError(code, message)
    this.close(closeCode, code === 'forbidden' ? 'access removed' : 'canvas deleted')
  }

  close(code: number, reason: string): void {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    this.socket.close(code, reason)
  }

  allowOp(rule: BucketRule, now: number): boolean {
    const r = take(this.opBucket ?? fullBucket(rule, now), rule, now)
    this.opBucket = r.bucket
    return r.ok
  }

  allowCursor(rule: BucketRule, now: number): boolean {
    const r = take(this.cursorBucket ?? fullBucket(rule, now), rule, now)
    this.cursorBucket = r.bucket
    return r.ok
  }

  /** Counts one refused message; false once the socket has earned more than its allowance. */
  strike(rule: BucketRule, now: number): boolean {
    const r = take(this.strikeBucket ?? fullBucket(rule, now), rule, now)
    this.strikeBucket = r.bucket
    return r.ok
  }
}

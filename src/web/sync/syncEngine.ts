import { presenceColor } from '../../core/presenceColor.js'
import { entryTime } from '../../core/room/entryEvent.js'
import type { Op } from '../../core/room/logEntry.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import type {
  AuthSuccessMessage,
  ErrorMessage,
  PresenceUser,
  ServerMessage,
  UnbatchedServerMessage,
} from '../../protocol/messages.js'
import {
  OBJECT_LIMITS,
  type CanvasObject,
  type NewObject,
  type ObjectChanges,
} from '../../protocol/objects.js'
import type { Role } from '../../protocol/roles.js'
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js'
import {
  addPending,
  applyAck,
  applyAuthSuccess,
  applyOp,
  applyServerEvent,
  dropPending,
  emptyClientState,
  optimisticView,
  stampOf,
  type ClientState,
} from './clientState.js'
import { newId, opMessage, type PendingOp } from './pendingOp.js'
import type { PendingStore } from './pendingStore.js'
import { addToStep, inverseOf, sameValue, UndoHistory, undoRecordOf, type UndoEntry } from './undoHistory.js'

/**
 * The client sync engine: the imperative shell around clientState.ts and undoHistory.ts
 * (docs/spec/sync.md). It owns the socket, every timer and the PendingStore; the rules live in
 * the pure core. The UI reads it through subscribe/getSnapshot (React's useSyncExternalStore)
 * and writes through create/update/remove/undo/redo.
 */

/**
 * connecting: the first attempt · online: joined (auth-success) · offline: no socket, waiting
 * `retryAt` · reconnecting: a later attempt · closed: stop(), or a close code that ends it.
 */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'closed'

export interface RemoteCursor {
  userId: string
  username: string
  color: string
  x: number
  y: number
  /** Unix ms (engine clock) of the last move: fade cursors that stopped. */
  at: number
}

export interface SyncSnapshot {
  /** The confirmed state with our acked and pending ops applied: the optimistic view [SYNC1]. */
  objects: ReadonlyMap<string, CanvasObject>
  /** The last server seq applied. */
  seq: number
  status: ConnectionStatus
  /** No op is waiting for its ack [SYNC2]. */
  saved: boolean
  pendingCount: number
  me: { userId: string; username: string; color: string; role: Role } | undefined
  users: readonly PresenceUser[]
  /** Other users' cursors, never my own [SYNC27]. */
  cursors: ReadonlyMap<string, RemoteCursor>
  /** Other users' selected object ids by userId, never my own; a user with none is absent [SYNC32]. */
  selections: ReadonlyMap<string, readonly string[]>
  canUndo: boolean
  canRedo: boolean
  /** Why the engine gave up: 4401 signed out, 4403 no access, 4404 no such canvas [SYNC23]. */
  closeReason: { code: number; message: string } | undefined
  /** The latest refusal or failure: an op the server refused, an edit refused locally, storage. */
  lastError: { code: string; message: string } | undefined
  /** While `offline`: when the next attempt starts (engine clock, Unix ms). */
  retryAt: number | undefined
}

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

export interface SyncEngineOptions {
  /** `ws(s)://host/ws/<canvasId>` */
  url: string
  canvasId: string
  /** Omitted in the browser: the session cookie goes with the upgrade. */
  token?: string
  /**
   * The signed-in user, when the page knows it (GET /api/session): stored ops of another user
   * are then left alone from the start, and edits made before the first auth-success are
   * stamped with it [SYNC24]. Learnt from auth-success otherwise.
   */
  userId?: string
  /** IndexedDbPendingStore in the browser, MemoryPendingStore in tests. */
  pendingStore: PendingStore
  /** The browser's WebSocket by default; `ws` in Node. */
  WebSocketImpl?: SyncSocketConstructor
  now?: () => number
  random?: () => number
  /** Exponential backoff with jitter between attempts; default 500 ms doubling to 30 s [SYNC22]. */
  reconnect?: BackoffPolicy
  /** At most one cursor message per this many ms; default 50 [SYNC27]. */
  cursorIntervalMs?: number
  /** A ping after this long without a frame; dropped when it goes unanswered as long again; default 15 s [SYNC26]. */
  heartbeatMs?: number
  /** Sees every server message (batches unpacked) before the engine does: for logs and tests. */
  onServerMessage?: (message: UnbatchedServerMessage) => void
}

const DEFAULT_CURSOR_INTERVAL_MS = 50
const DEFAULT_HEARTBEAT_MS = 15_000
/** The server closes a socket that sends a bigger frame (1009) [W2]: such an edit is refused here. */
const MAX_FRAME_BYTES = 256 * 1024
const SOCKET_OPEN = 1
const CLOSE_NORMAL = 1000
/** Ours: the socket went quiet (no frame for two heartbeats), or the server must send the whole canvas. */
const CLOSE_STALE = 4000
/** Close codes after which retrying cannot help (docs/protocol.md "Errors and close codes") [SYNC23]. */
const FINAL_CLOSE_CODES: ReadonlyMap<number, string> = new Map([
  [4401, 'signed out: sign in again'],
  [4403, 'this canvas is not shared with you'],
  [4404, 'no such canvas'],
])
/** Refusals that say "not now" rather than "never": the op is kept and sent again [SYNC7]. */
const TRANSIENT_ERRORS: ReadonlySet<string> = new Set<ErrorCode>([
  'rate_limited',
  'storage_full',
  'storage_unavailable',
  'bus_unavailable',
  'internal',
])

type Listener = () => void

export class SyncEngine {
  private readonly state: ClientState
  /** The optimistic view, kept up to date by local edits; undefined when it must be rebuilt. */
  private view: Map<string, CanvasObject> | undefined
  private readonly history = new UndoHistory()
  /** The step being collected by transact/beginStep, and how deep the nesting is. */
  private openStep: UndoEntry[] | undefined
  private stepDepth = 0

  private readonly store: PendingStore
  private readonly WebSocketImpl: SyncSocketConstructor
  private readonly now: () => number
  private readonly random: () => number
  private readonly backoff: BackoffPolicy
  private readonly cursorIntervalMs: number
  private readonly heartbeatMs: number

  private started = false
  private stopped = false
  private socket: SyncSocket | undefined
  /** auth-success came on the current socket: ops and cursors may be sent. */
  private joined = false
  /** We hold a state from the server: the next join resumes from its seq. */
  private hasState = false
  private wasOnline = false
  private status: ConnectionStatus = 'connecting'
  private attempt = 0
  private retryAt: number | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  /** After a transient refusal nothing is sent until this timer fires, so ops keep their order. */
  private holdTimer: ReturnType<typeof setTimeout> | undefined
  private holdAttempt = 0
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined
  private lastFrameAt = 0
  private pingSentAt: number | undefined

  /** Ops whose store write has not finished: they are not sent yet [SYNC20]. */
  private readonly unstored = new Set<string>()
  /** Ops sent on the current socket. */
  private readonly sent = new Set<string>()
  private lastOrder = 0

  private me: SyncSnapshot['me']
  private users: readonly PresenceUser[] = []
  private readonly cursors = new Map<string, RemoteCursor>()
  private cursorWanted: { x: number; y: number } | undefined
  private cursorTimer: ReturnType<typeof setTimeout> | undefined
  private lastCursorSentAt = -Infinity
  private readonly selections = new Map<string, readonly string[]>()
  /** My selection as the UI last gave it, and as this socket last sent it. */
  private selectionWanted: readonly string[] = []
  private selectionSent: readonly string[] = []
  private selectionTimer: ReturnType<typeof setTimeout> | undefined
  private lastSelectionSentAt = -Infinity
  private closeReason: SyncSnapshot['closeReason']
  private lastError: SyncSnapshot['lastError']

  private snapshot: SyncSnapshot | undefined
  /** Parts of the snapshot kept while they do not change, so selectors can compare identity. */
  private objectsSnapshot: ReadonlyMap<string, CanvasObject> | undefined
  private cursorsSnapshot: ReadonlyMap<string, RemoteCursor> | undefined
  private selectionsSnapshot: ReadonlyMap<string, readonly string[]> | undefined
  private readonly listeners = new Set<Listener>()
  private notifyScheduled = false
  private readonly onBrowserOnline = () => this.reconnectNow()

  constructor(private readonly options: SyncEngineOptions) {
    this.state = emptyClientState(options.userId ?? '')
    this.store = options.pendingStore
    const WebSocketImpl =
      options.WebSocketImpl ?? (globalThis as { WebSocket?: SyncSocketConstructor }).WebSocket
    if (WebSocketImpl === undefined) {
      throw new Error('no WebSocket implementation: pass WebSocketImpl (the `ws` package in Node)')
    }
    this.WebSocketImpl = WebSocketImpl
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    this.backoff = options.reconnect ?? DEFAULT_BACKOFF
    this.cursorIntervalMs = options.cursorIntervalMs ?? DEFAULT_CURSOR_INTERVAL_MS
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Loads the canvas's stored ops (they go first, and are sent once joined), then connects [SYNC24]. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    browserEvents()?.addEventListener('online', this.onBrowserOnline)
    try {
      this.adoptStored(await this.store.load(this.options.canvasId))
    } catch (err) {
      this.fail('storage_unavailable', `could not read the queued edits: ${messageOf(err)}`)
    }
    if (!this.stopped) this.connect()
  }

  /** Closes the socket and clears every timer. Queued edits stay in the store for the next engine. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    browserEvents()?.removeEventListener('online', this.onBrowserOnline)
    this.clearTimer('retryTimer')
    this.clearTimer('holdTimer')
    this.clearTimer('cursorTimer')
    this.clearTimer('selectionTimer')
    const socket = this.socket
    this.dropSocket()
    closeQuietly(socket, CLOSE_NORMAL, 'stopped')
    this.status = 'closed'
    this.retryAt = undefined
    this.changed()
  }

  /** Tries now instead of waiting for the backoff (a "retry" button; the browser's `online` event). */
  reconnectNow(): void {
    if (!this.started || this.stopped || this.socket !== undefined) return
    this.attempt = 0
    this.connect()
  }

  // ---- reading -----------------------------------------------------------------------------------

  /** Bound, so `useSyncExternalStore(engine.subscribe, engine.getSnapshot)` works as is. */
  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** The same object until something changes [SYNC29]. Bound, like subscribe. */
  readonly getSnapshot = (): SyncSnapshot => {
    if (this.snapshot !== undefined) return this.snapshot
    this.objectsSnapshot ??= new Map(this.currentView())
    this.snapshot = Object.freeze({
      objects: this.objectsSnapshot,
      seq: this.state.seq,
      status: this.status,
      saved: this.state.pending.length === 0,
      pendingCount: this.state.pending.length,
      me: this.me,
      users: this.users,
      cursors: (this.cursorsSnapshot ??= new Map(this.cursors)),
      selections: (this.selectionsSnapshot ??= new Map(this.selections)),
      canUndo: this.history.canUndo,
      canRedo: this.history.canRedo,
      closeReason: this.closeReason,
      lastError: this.lastError,
      retryAt: this.status === 'offline' ? this.retryAt : undefined,
    })
    return this.snapshot
  }

  // ---- editing -----------------------------------------------------------------------------------

  create(object: NewObject): void {
    this.edit({ kind: 'create', object })
  }

  /** Sends only the properties that differ from the current view; nothing when none do. */
  update(id: string, changes: ObjectChanges): void {
    this.edit({ kind: 'update', id, changes })
  }

  /** Deletes the objects, as one undo step; ids not on the canvas are skipped. */
  remove(ids: readonly string[]): void {
    this.transact(() => {
      for (const id of ids) this.edit({ kind: 'delete', id })
    })
  }

  /** Every edit made inside `fn` is one undo step [SYNC13]. */
  transact(fn: () => void): void {
    this.beginStep()
    try {
      fn()
    } finally {
      this.endStep()
    }
  }

  /**
   * Opens an undo step that stays open across events until endStep (a drag: pointerdown to
   * pointerup). Steps nest; the outermost endStep closes it [SYNC13].
   */
  beginStep(): void {
    if (this.stepDepth++ === 0) this.openStep = []
  }

  endStep(): void {
    if (this.stepDepth === 0) return
    this.stepDepth--
    if (this.stepDepth === 0) this.closeStep()
  }

  /** Takes back this user's latest step, as far as it is still theirs [SYNC10–SYNC12]. */
  undo(): void {
    this.flushOpenStep()
    const step = this.history.popUndo()
    if (step === undefined) return
    this.history.pushUndone(this.replayInverse(step))
    this.changed()
  }

  redo(): void {
    this.flushOpenStep()
    const step = this.history.popRedo()
    if (step === undefined) return
    this.history.pushRedone(this.replayInverse(step))
    this.changed()
  }

  /** Clears `lastError` (the UI has shown it). */
  dismissError(): void {
    if (this.lastError === undefined) return
    this.lastError = undefined
    this.changed()
  }

  /** Throttled to one message per cursorIntervalMs, always the latest position [SYNC27]. */
  moveCursor(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return
    const bound = OBJECT_LIMITS.coordinate
    this.cursorWanted = { x: Math.min(bound, Math.max(-bound, x)), y: Math.min(bound, Math.max(-bound, y)) }
    this.sendCursorSoon()
  }

  /**
   * My selected object ids, for the others to see: throttled like moveCursor, sent only when they
   * differ from what this socket last sent, and again after a reconnect [SYNC32].
   */
  select(ids: readonly string[]): void {
    const next = ids.slice(0, MAX_SELECTION_IDS)
    if (sameIds(next, this.selectionWanted)) return
    this.selectionWanted = next
    this.sendSelectionSoon()
  }

  // ---- local edits -------------------------------------------------------------------------------

  private edit(op: Op): void {
    const entry = this.submit(op)
    if (entry !== undefined) {
      if (this.openStep !== undefined) addToStep(this.openStep, entry)
      else this.history.pushEdit([entry])
    }
    this.changed()
  }

  /**
   * Applies `op` to the view at once [SYNC1], queues it, writes it to the store and sends it once
   * written [SYNC20]. Returns its undo entry, if it changed anything undoable.
   */
  private submit(requested: Op): UndoEntry | undefined {
    const op = this.prepare(requested)
    if (op === undefined) return undefined
    const view = this.currentView()
    const record = undoRecordOf(op, view)
    const pending: PendingOp = { opId: newId(), op, at: this.now(), order: this.nextOrder() }
    const userId = this.me?.userId ?? this.options.userId
    if (userId !== undefined) pending.userId = userId
    addPending(this.state, pending)
    applyOp(view, op, stampOf(this.state, pending))
    this.objectsSnapshot = undefined
    this.unstored.add(pending.opId)
    this.persist(pending)
    return record === undefined ? undefined : { opIds: [pending.opId], record }
  }

  /** The op to send for `op`, or undefined (with lastError when it is a refusal). */
  private prepare(op: Op): Op | undefined {
    if (this.stopped) return undefined
    if (this.closeReason !== undefined) return this.refuse('forbidden', this.closeReason.message)
    if (this.me?.role === 'viewer') return this.refuse('forbidden', 'viewers cannot edit this canvas')
    const view = this.currentView()
    let ready: Op
    switch (op.kind) {
      case 'create':
        if (view.has(op.object.id)) return this.refuse('conflict', `an object ${op.object.id} already exists`)
        ready = op
        break
      case 'update': {
        const current = view.get(op.id) as unknown as Record<string, unknown> | undefined
        if (current === undefined) return this.refuse('not_found', `no object ${op.id}`)
        const changes = Object.fromEntries(
          Object.entries(op.changes).filter(
            ([key, value]) => value !== undefined && !sameValue(current[key], value),
          ),
        ) as ObjectChanges
        if (Object.keys(changes).length === 0) return undefined
        ready = { kind: 'update', id: op.id, changes }
        break
      }
      case 'delete':
        if (!view.has(op.id)) return undefined
        ready = op
        break
      default:
        return op satisfies never
    }
    const frame = JSON.stringify(
      opMessage({ opId: 'x'.repeat(OBJECT_LIMITS.idLength), op: ready, at: 0, order: 0 }),
    )
    if (frame.length * 3 > MAX_FRAME_BYTES && new TextEncoder().encode(frame).length > MAX_FRAME_BYTES) {
      return this.refuse('payload_too_large', `an edit is at most ${MAX_FRAME_BYTES / 1024} KiB`)
    }
    return ready
  }

  private refuse(code: ErrorCode, message: string): undefined {
    this.fail(code, message)
    return undefined
  }

  private replayInverse(step: readonly UndoEntry[]): UndoEntry[] {
    const done: UndoEntry[] = []
    for (let i = step.length - 1; i >= 0; i--) {
      const op = inverseOf((step[i] as UndoEntry).record, this.currentView())
      if (op === undefined) continue
      const entry = this.submit(op)
      if (entry !== undefined) addToStep(done, entry)
    }
    return done
  }

  private closeStep(): void {
    const step = this.openStep
    this.openStep = undefined
    if (step !== undefined && step.length > 0) {
      this.history.pushEdit(step)
      this.changed()
    }
  }

  /** Undo inside an open step: what the step holds so far becomes a step of its own. */
  private flushOpenStep(): void {
    if (this.openStep === undefined || this.openStep.length === 0) return
    this.history.pushEdit(this.openStep)
    this.openStep = []
  }

  private nextOrder(): number {
    this.lastOrder = Math.max(this.lastOrder + 1, Math.floor(this.now() * 1000))
    return this.lastOrder
  }

  private persist(pending: PendingOp): void {
    this.store
      .put(this.options.canvasId, pending)
      .catch((err: unknown) => {
        // Sent anyway: an edit that reaches the server is worth more than one kept only locally.
        this.fail('storage_unavailable', `could not store an edit: ${messageOf(err)}`)
      })
      .finally(() => {
        this.unstored.delete(pending.opId)
        this.pump()
        this.changed()
      })
  }

  private forget(opId: string): void {
    this.unstored.delete(opId)
    this.sent.delete(opId)
    this.store.remove(this.options.canvasId, opId).catch((err: unknown) => {
      this.fail('storage_unavailable', `could not forget an edit: ${messageOf(err)}`)
      this.changed()
    })
  }

  /** Stored ops of this canvas: they were made before anything of this session [SYNC24]. */
  private adoptStored(stored: readonly PendingOp[]): void {
    const known = new Set(this.state.pending.map((p) => p.opId))
    const userId = this.options.userId
    const mine = stored.filter(
      (p) => !known.has(p.opId) && (userId === undefined || p.userId === undefined || p.userId === userId),
    )
    if (mine.length === 0) return
    this.state.pending.unshift(...mine)
    for (const p of mine) this.lastOrder = Math.max(this.lastOrder, p.order)
    this.invalidateView()
    this.changed()
  }

  // ---- the socket ----------------------------------------------------------------------------

  private connect(): void {
    this.clearTimer('retryTimer')
    this.retryAt = undefined
    this.status = this.wasOnline || this.attempt > 0 ? 'reconnecting' : 'connecting'
    this.changed()
    let socket: SyncSocket
    try {
      socket = new this.WebSocketImpl(this.options.url)
    } catch (err) {
      this.fail('invalid_input', `cannot open ${this.options.url}: ${messageOf(err)}`)
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    this.joined = false
    this.sent.clear()
    this.lastFrameAt = this.now()
    this.pingSentAt = undefined
    socket.addEventListener('open', () => {
      if (this.socket === socket) this.handleOpen(socket)
    })
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.handleFrame(event.data)
    })
    socket.addEventListener('close', (event) => {
      if (this.socket === socket) this.handleClose(event.code, event.reason)
    })
    socket.addEventListener('error', () => {
      // 'close' follows, and is where the engine reacts.
    })
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(), this.heartbeatMs / 2)
  }

  private handleOpen(socket: SyncSocket): void {
    const auth: { type: 'auth'; token?: string; lastSeq?: number } = { type: 'auth' }
    if (this.options.token !== undefined) auth.token = this.options.token
    // Resume: the server sends only what we missed, if it still has it [SYNC22].
    if (this.hasState) auth.lastSeq = this.state.seq
    socket.send(JSON.stringify(auth))
  }

  private handleFrame(data: unknown): void {
    this.lastFrameAt = this.now()
    this.pingSentAt = undefined
    if (typeof data !== 'string') return
    let message: ServerMessage
    try {
      message = JSON.parse(data) as ServerMessage
    } catch {
      this.fail('invalid_input', 'the server sent a frame that is not JSON')
      this.changed()
      return
    }
    const messages = message.type === 'batch' ? message.messages : [message]
    for (const m of messages) {
      this.options.onServerMessage?.(m)
      this.handleMessage(m)
      if (this.socket === undefined) break // the welcome asked for a fresh start
    }
    this.changed()
  }

  private handleMessage(message: UnbatchedServerMessage): void {
    switch (message.type) {
      case 'auth-success':
        this.handleWelcome(message)
        return
      case 'ack': {
        const acked = applyAck(this.state, message.opId, message.seq)
        if (acked === undefined) return
        if (this.state.pending.length === 0) this.holdAttempt = 0
        this.invalidateView()
        this.forget(acked.opId)
        return
      }
      case 'object-created':
      case 'object-updated':
      case 'object-deleted':
        applyServerEvent(this.state, message, entryTime(this.now()))
        this.invalidateView()
        return
      case 'cursors':
        for (const c of message.cursors) {
          if (c.userId === this.me?.userId) continue
          const user = this.users.find((u) => u.userId === c.userId)
          this.cursors.set(c.userId, {
            userId: c.userId,
            username: user?.username ?? '',
            color: user?.color ?? presenceColor(c.userId),
            x: c.x,
            y: c.y,
            at: this.now(),
          })
          this.cursorsSnapshot = undefined
        }
        return
      case 'selections':
        for (const { userId, ids } of message.selections) {
          if (userId === this.me?.userId) continue
          if (ids.length === 0 ? !this.selections.delete(userId) : sameIds(ids, this.selections.get(userId)))
            continue
          if (ids.length > 0) this.selections.set(userId, ids)
          this.selectionsSnapshot = undefined
        }
        return
      case 'user-connected': {
        const { userId, username, color } = message
        this.users = [...this.users.filter((u) => u.userId !== userId), { userId, username, color }]
        // The server sends cursors at once but may hold presence for its next fan-out tick, so a
        // newcomer's cursor can come first, nameless: name it now, not at its next move.
        const cursor = this.cursors.get(userId)
        if (cursor) {
          this.cursors.set(userId, { ...cursor, username, color })
          this.cursorsSnapshot = undefined
        }
        return
      }
      case 'user-disconnected':
        this.users = this.users.filter((u) => u.userId !== message.userId)
        if (this.cursors.delete(message.userId)) this.cursorsSnapshot = undefined
        if (this.selections.delete(message.userId)) this.selectionsSnapshot = undefined
        return
      case 'error':
        this.handleError(message)
        return
      case 'pong':
      case 'canvas-updated':
      case 'role-changed':
        return
      default:
        // A newer server may send more; what this engine does not know it ignores.
        message satisfies never
    }
  }

  private handleWelcome(welcome: AuthSuccessMessage): void {
    const complete = applyAuthSuccess(this.state, welcome)
    this.invalidateView()
    if (!complete) {
      // A resume that left a hole: start over with the whole canvas.
      this.hasState = false
      this.abandonSocket('need the whole canvas', 0)
      return
    }
    this.hasState = true
    this.joined = true
    this.wasOnline = true
    this.attempt = 0
    this.status = 'online'
    this.closeReason = undefined
    const { userId, username, color, role } = welcome
    this.me = { userId, username, color, role }
    this.users = welcome.users
    // Ops another user queued in this browser stay in the store for them [SYNC24].
    this.state.pending = this.state.pending.filter((p) => p.userId === undefined || p.userId === userId)
    for (const p of this.state.pending) {
      if (p.userId !== undefined) continue
      p.userId = userId
      if (!this.unstored.has(p.opId)) {
        this.store.put(this.options.canvasId, p).catch((err: unknown) => {
          this.fail('storage_unavailable', `could not store an edit: ${messageOf(err)}`)
          this.changed()
        })
      }
    }
    // Every pending op again, in order, with its own opId: the server applies each once [SYNC21].
    this.pump()
    this.sendCursorSoon()
    this.sendSelectionSoon()
  }

  private handleError(error: ErrorMessage): void {
    this.fail(error.code, error.message)
    if (error.opId === undefined) return
    if (!this.state.pending.some((p) => p.opId === error.opId)) return
    if (TRANSIENT_ERRORS.has(error.code)) {
      this.sent.delete(error.opId)
      this.holdThenResend()
      return
    }
    dropPending(this.state, error.opId)
    this.history.forget(error.opId)
    this.invalidateView()
    this.forget(error.opId)
  }

  /** Sends, in order, every stored op not yet sent on this socket [SYNC20, SYNC21]. */
  private pump(): void {
    const socket = this.socket
    if (!this.joined || socket === undefined || socket.readyState !== SOCKET_OPEN) return
    if (this.holdTimer !== undefined) return
    for (const p of this.state.pending) {
      if (this.unstored.has(p.opId)) break
      if (this.sent.has(p.opId)) continue
      socket.send(JSON.stringify(opMessage(p)))
      this.sent.add(p.opId)
    }
  }

  private holdThenResend(): void {
    if (this.holdTimer !== undefined) return
    const delay = backoffDelay(this.holdAttempt++, this.backoff, this.random)
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined
      this.pump()
    }, delay)
  }

  private handleClose(code: number, reason: string): void {
    this.dropSocket()
    const final = FINAL_CLOSE_CODES.get(code)
    if (final !== undefined) {
      this.status = 'closed'
      this.retryAt = undefined
      this.closeReason = { code, message: reason === '' ? final : reason }
      this.changed()
      return
    }
    this.scheduleReconnect()
  }

  /** Gives up on the current socket (silent, or not wanted) and tries again after `delay`. */
  private abandonSocket(reason: string, delay?: number): void {
    const socket = this.socket
    this.dropSocket()
    closeQuietly(socket, CLOSE_STALE, reason)
    this.scheduleReconnect(delay)
  }

  private dropSocket(): void {
    this.socket = undefined
    this.joined = false
    this.sent.clear()
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer)
    this.heartbeatTimer = undefined
    this.pingSentAt = undefined
    this.users = []
    this.cursors.clear()
    this.cursorsSnapshot = undefined
    // The server forgets a selection with the user's last socket: send it again after a reconnect.
    this.selectionSent = []
    this.selections.clear()
    this.selectionsSnapshot = undefined
  }

  private scheduleReconnect(delay = backoffDelay(this.attempt++, this.backoff, this.random)): void {
    if (this.stopped) return
    this.clearTimer('retryTimer')
    this.status = 'offline'
    this.retryAt = this.now() + delay
    this.retryTimer = setTimeout(() => this.connect(), delay)
    this.changed()
  }

  /**
   * A ping after a quiet heartbeat; a ping unanswered for another heartbeat, or no welcome within
   * two, and the socket is dead [SYNC26]. Judged from the ping, not from the quiet alone: a
   * background tab's timers run late, and a late tick must not condemn a healthy socket.
   */
  private checkHeartbeat(): void {
    const socket = this.socket
    if (socket === undefined) return
    const now = this.now()
    if (!this.joined) {
      if (now - this.lastFrameAt >= 2 * this.heartbeatMs) this.abandonSocket('no welcome from the server')
      return
    }
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt >= this.heartbeatMs) this.abandonSocket('no answer to ping')
      return
    }
    if (now - this.lastFrameAt >= this.heartbeatMs && socket.readyState === SOCKET_OPEN) {
      socket.send(JSON.stringify({ type: 'ping', t: now }))
      this.pingSentAt = now
    }
  }

  private sendCursorSoon(): void {
    if (!this.joined || this.cursorWanted === undefined || this.cursorTimer !== undefined) return
    const waitMs = this.lastCursorSentAt + this.cursorIntervalMs - this.now()
    if (waitMs <= 0) {
      this.sendCursor()
      return
    }
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined
      this.sendCursor()
    }, waitMs)
  }

  private sendCursor(): void {
    const socket = this.socket
    const cursor = this.cursorWanted
    if (!this.joined || socket === undefined || socket.readyState !== SOCKET_OPEN || cursor === undefined)
      return
    socket.send(JSON.stringify({ type: 'cursor', x: cursor.x, y: cursor.y }))
    this.cursorWanted = undefined
    this.lastCursorSentAt = this.now()
  }

  private sendSelectionSoon(): void {
    if (!this.joined || this.selectionTimer !== undefined) return
    const waitMs = this.lastSelectionSentAt + this.cursorIntervalMs - this.now()
    if (waitMs <= 0) {
      this.sendSelection()
      return
    }
    this.selectionTimer = setTimeout(() => {
      this.selectionTimer = undefined
      this.sendSelection()
    }, waitMs)
  }

  private sendSelection(): void {
    const socket = this.socket
    const ids = this.selectionWanted
    if (!this.joined || socket === undefined || socket.readyState !== SOCKET_OPEN) return
    if (sameIds(ids, this.selectionSent)) return
    socket.send(JSON.stringify({ type: 'selection', ids }))
    this.selectionSent = ids
    this.lastSelectionSentAt = this.now()
  }

  // ---- bookkeeping -------------------------------------------------------------------------------

  private currentView(): Map<string, CanvasObject> {
    this.view ??= optimisticView(this.state)
    return this.view
  }

  private invalidateView(): void {
    this.view = undefined
    this.objectsSnapshot = undefined
  }

  private fail(code: string, message: string): void {
    this.lastError = { code, message }
  }

  private clearTimer(name: 'retryTimer' | 'holdTimer' | 'cursorTimer' | 'selectionTimer'): void {
    const timer = this[name]
    if (timer === undefined) return
    clearTimeout(timer)
    this[name] = undefined
  }

  /** A new snapshot, and the listeners told once per turn of the event loop. */
  private changed(): void {
    this.snapshot = undefined
    if (this.notifyScheduled) return
    this.notifyScheduled = true
    queueMicrotask(() => {
      this.notifyScheduled = false
      for (const listener of [...this.listeners]) listener()
    })
  }
}

/** The socket URL of a canvas for a page served from `pageUrl` (e.g. `location.href`): same host, ws or wss. */
export function canvasSocketUrl(canvasId: string, pageUrl: string): string {
  const url = new URL(`/ws/${encodeURIComponent(canvasId)}`, pageUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.href
}

interface BrowserEvents {
  addEventListener(type: 'online', listener: () => void): void
  removeEventListener(type: 'online', listener: () => void): void
}

/** `window` in a browser (its `online` event), undefined elsewhere. */
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

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

// The protocol's bound (MESSAGE_LIMITS.selectionIds, PROTO17), repeated here so the browser
// bundle does not pull in the TypeBox schemas.
const MAX_SELECTION_IDS = 500

function sameIds(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((id, i) => id === b[i])
}

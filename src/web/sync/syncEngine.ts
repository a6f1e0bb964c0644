// Over 400 lines: the engine's public API and its routing of every server message, each a few
// lines handing work to the parts; the logic lives in the parts (see below).
import { entryTime } from '../../core/room/entryEvent.js'
import type { Op } from '../../core/room/logEntry.js'
import { CLOSE_CODES } from '../../protocol/closeCodes.js'
import type {
  AuthSuccessMessage,
  ErrorMessage,
  PreviewObject,
  UnbatchedServerMessage,
} from '../../protocol/messages.js'
import type { AiPreview } from '../../protocol/aiHttpTypes.js'
import type { NewObject, ObjectChanges } from '../../protocol/objects.js'
import type { Role } from '../../protocol/roles.js'
import { DEFAULT_BACKOFF } from './backoff.js'
import { CanvasView } from './canvasView.js'
import { Outbox, TRANSIENT_ERRORS } from './outbox.js'
import { prepareEdit } from './prepareEdit.js'
import { rebasePreview } from './rebasePreview.js'
import { Presence } from './presence.js'
import { ViewportPresence, type ViewRect } from './viewportPresence.js'
import { messageOf, SocketConnection, type SyncSocketConstructor } from './socketConnection.js'
import type { SyncEngineOptions, SyncSnapshot } from './syncTypes.js'
import { addToStep, inverseOf, undoRecordOf, type UndoEntry } from './undoHistory.js'
import { UndoRecorder } from './undoRecorder.js'

export { canvasSocketUrl } from './socketConnection.js'
export type { ConnectionStatus, SyncSocket, SyncSocketConstructor } from './socketConnection.js'
export type { RemoteCursor } from './presence.js'
export type { SyncEngineOptions, SyncSnapshot } from './syncTypes.js'

/**
 * The client sync engine (docs/spec/sync.md): a composition of parts, each with its own tests.
 * SocketConnection owns the socket and its lifecycle, CanvasView the optimistic view (over the
 * pure clientState.ts), Outbox the queue of unacknowledged ops and the PendingStore, UndoRecorder
 * the undo steps (over undoHistory.ts), Presence the users, cursors and selections. The engine
 * routes server messages to them and publishes one immutable snapshot: the UI reads it through
 * subscribe/getSnapshot (React's useSyncExternalStore) and writes through
 * create/update/remove/undo/redo.
 */

const DEFAULT_CURSOR_INTERVAL_MS = 50
/** A dead socket is noticed within two of these (a ping after one quiet one, unanswered for one) [ED-D3]. */
const DEFAULT_HEARTBEAT_MS = 5_000

type Listener = () => void

export class SyncEngine {
  private readonly view: CanvasView
  private readonly undoSteps = new UndoRecorder()
  private readonly outbox: Outbox
  private readonly presence: Presence
  private readonly viewportPresence: ViewportPresence
  private readonly connection: SocketConnection
  private readonly now: () => number

  private started = false
  private stopped = false
  /** We hold a state from the server: the next join resumes from its seq. */
  private hasState = false
  private me: SyncSnapshot['me']
  private canvas: SyncSnapshot['canvas']
  private lastError: SyncSnapshot['lastError']
  /** endPreview was called and waits for the drag's commit to be acked. */
  private previewEnding = false
  /** Edits dropped since this user became a viewer: the notice counts them [SYNC33]. */
  private discarded = 0

  private snapshot: SyncSnapshot | undefined
  private readonly listeners = new Set<Listener>()
  private notifyScheduled = false

  constructor(private readonly options: SyncEngineOptions) {
    const WebSocketImpl =
      options.WebSocketImpl ?? (globalThis as { WebSocket?: SyncSocketConstructor }).WebSocket
    if (WebSocketImpl === undefined) {
      throw new Error('no WebSocket implementation: pass WebSocketImpl (the `ws` package in Node)')
    }
    this.now = options.now ?? Date.now
    const random = options.random ?? Math.random
    const reconnect = options.reconnect ?? DEFAULT_BACKOFF
    const send = (message: object) => this.connection.send(message)
    const onChange = () => this.changed()
    this.view = new CanvasView(options.userId ?? '')
    this.outbox = new Outbox({
      canvasId: options.canvasId,
      store: options.pendingStore,
      pending: () => this.view.pending,
      send,
      now: this.now,
      random,
      reconnect,
      onError: (code, message) => this.fail(code, message),
      onChange,
    })
    this.presence = new Presence({
      send,
      now: this.now,
      cursorIntervalMs: options.cursorIntervalMs ?? DEFAULT_CURSOR_INTERVAL_MS,
    })
    this.viewportPresence = new ViewportPresence({
      send,
      now: this.now,
      intervalMs: options.cursorIntervalMs ?? DEFAULT_CURSOR_INTERVAL_MS,
    })
    this.connection = new SocketConnection(
      {
        url: options.url,
        WebSocketImpl,
        now: this.now,
        random,
        reconnect,
        heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      },
      {
        authMessage: () => this.authMessage(),
        onMessage: (message) => {
          this.options.onServerMessage?.(message)
          this.handleMessage(message)
        },
        onSocketLost: () => {
          this.outbox.socketLost()
          this.presence.leave()
          this.viewportPresence.leave()
        },
        onError: (code, message) => this.fail(code, message),
        onChange: () => {
          if (this.connection.closeReason?.code === CLOSE_CODES.canvasDeleted) this.discardAll()
          this.changed()
        },
      },
    )
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Loads the canvas's stored ops (they go first, and are sent once joined), then connects [SYNC24]. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    try {
      const stored = await this.options.pendingStore.load(this.options.canvasId)
      const mine = this.outbox.adopt(stored, this.options.userId)
      if (mine.length > 0) {
        this.view.addStored(mine)
        this.changed()
      }
    } catch (err) {
      this.fail('storage_unavailable', `could not read the queued edits: ${messageOf(err)}`)
    }
    if (!this.stopped) this.connection.start()
  }

  /** Closes the socket and clears every timer. Queued edits stay in the store for the next engine. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.outbox.stop()
    this.presence.stop()
    this.viewportPresence.stop()
    this.connection.stop()
    this.changed()
  }

  /** Tries now instead of waiting for the backoff (a "retry" button; the browser's `online` event). */
  reconnectNow(): void {
    this.connection.reconnectNow()
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
    this.snapshot ??= Object.freeze({
      objects: this.view.objects,
      seq: this.view.seq,
      status: this.connection.status,
      saved: this.view.pending.length === 0,
      pendingCount: this.view.pending.length,
      me: this.me,
      users: this.presence.users,
      cursors: this.presence.cursors,
      selections: this.presence.selections,
      previews: this.presence.previews,
      viewports: this.viewportPresence.viewports,
      canUndo: this.undoSteps.canUndo,
      canRedo: this.undoSteps.canRedo,
      closeReason: this.connection.closeReason,
      lastError: this.lastError,
      retryAt: this.connection.retryAt,
      canvas: this.canvas,
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
    this.undoSteps.begin()
  }

  endStep(): void {
    if (this.undoSteps.end()) this.changed()
  }

  /** Takes back this user's latest step, as far as it is still theirs [SYNC10–SYNC12]. */
  undo(): void {
    const step = this.undoSteps.takeUndo()
    if (step === undefined) return
    this.undoSteps.undone(this.replayInverse(step))
    this.changed()
  }

  redo(): void {
    const step = this.undoSteps.takeRedo()
    if (step === undefined) return
    this.undoSteps.redone(this.replayInverse(step))
    this.changed()
  }

  /**
   * Objects the server made for this user (an AI command's batch, stored and broadcast by the
   * server): one undo step of this user's, which deletes them all [AI].
   */
  recordMade(ids: readonly string[]): void {
    if (ids.length === 0) return
    this.undoSteps.begin()
    for (const id of ids) this.undoSteps.record({ opIds: [`made-${id}`], record: { kind: 'create', id } })
    if (this.undoSteps.end()) this.changed()
  }

  /**
   * Applies an accepted AI edit preview, rebased on the view now (rebasePreview.ts), as one undo
   * step of ordinary ops. Returns how many previewed changes were left out.
   */
  applyPreview(preview: AiPreview): number {
    const rebased = rebasePreview(preview, this.view.live)
    this.transact(() => {
      for (const { id, changes } of rebased.updates) this.edit({ kind: 'update', id, changes })
      for (const id of rebased.deletes) this.edit({ kind: 'delete', id })
    })
    return rebased.skipped
  }

  /** Clears `lastError` (the UI has shown it). */
  dismissError(): void {
    if (this.lastError === undefined) return
    this.lastError = undefined
    this.changed()
  }

  /** Throttled to one message per cursorIntervalMs, always the latest position [SYNC27]. */
  moveCursor(x: number, y: number): void {
    this.presence.moveCursor(x, y)
  }

  /** What I see of the canvas (world units), for the others to follow; throttled like the cursor [PROTO19]. */
  moveViewport(rect: ViewRect): void {
    this.viewportPresence.move(rect)
  }

  /** My selected object ids, for the others to see [SYNC32]. */
  select(ids: readonly string[]): void {
    this.presence.select(ids)
  }

  /** Where the objects I drag are now, for the others to see before I let go [ED-L1]. */
  preview(objects: readonly PreviewObject[]): void {
    this.previewEnding = false
    this.presence.preview(objects)
  }

  /**
   * My drag is over. The end goes out once the drag's commit is acked: the others have its
   * object-updated by then, so the shape never jumps back to where the drag began [ED-L1].
   */
  endPreview(): void {
    this.presence.dropPendingPreview()
    this.previewEnding = true
    this.endPreviewIfSaved()
  }

  private endPreviewIfSaved(): void {
    if (!this.previewEnding || this.view.pending.length > 0) return
    this.previewEnding = false
    this.presence.preview([])
  }

  // ---- local edits -------------------------------------------------------------------------------

  private edit(op: Op): void {
    const entry = this.submit(op)
    if (entry !== undefined) this.undoSteps.record(entry)
    this.changed()
  }

  /**
   * Applies `op` to the view at once [SYNC1], queues it, writes it to the store and sends it once
   * written [SYNC20]. Returns its undo entry, if it changed anything undoable.
   */
  private submit(requested: Op): UndoEntry | undefined {
    if (this.stopped) return undefined
    const closed = this.connection.closeReason
    if (closed !== undefined) return this.refuse('forbidden', closed.message)
    if (this.me?.role === 'viewer') return this.refuse('forbidden', 'viewers cannot edit this canvas')
    const prepared = prepareEdit(requested, this.view.live)
    if (prepared.kind === 'skip') return undefined
    if (prepared.kind === 'refuse') return this.refuse(prepared.code, prepared.message)
    const { op } = prepared
    const record = undoRecordOf(op, this.view.live)
    const pending = this.outbox.create(op, this.me?.userId ?? this.options.userId)
    this.view.addLocal(pending)
    this.outbox.persist(pending)
    return record === undefined ? undefined : { opIds: [pending.opId], record }
  }

  private refuse(code: string, message: string): undefined {
    this.fail(code, message)
    return undefined
  }

  private replayInverse(step: readonly UndoEntry[]): UndoEntry[] {
    const done: UndoEntry[] = []
    for (let i = step.length - 1; i >= 0; i--) {
      const op = inverseOf((step[i] as UndoEntry).record, this.view.live)
      if (op === undefined) continue
      const entry = this.submit(op)
      if (entry !== undefined) addToStep(done, entry)
    }
    return done
  }

  // ---- server messages ---------------------------------------------------------------------------

  private authMessage(): Record<string, unknown> {
    const auth: { type: 'auth'; token?: string; lastSeq?: number } = { type: 'auth' }
    if (this.options.token !== undefined) auth.token = this.options.token
    // Resume: the server sends only what we missed, if it still has it [SYNC22].
    if (this.hasState) auth.lastSeq = this.view.seq
    return auth
  }

  private handleMessage(message: UnbatchedServerMessage): void {
    switch (message.type) {
      case 'auth-success':
        this.handleWelcome(message)
        return
      case 'ack': {
        if (this.view.ack(message.opId, message.seq) !== undefined) this.outbox.forget(message.opId)
        this.endPreviewIfSaved()
        return
      }
      case 'object-created':
      case 'object-updated':
      case 'object-deleted':
        this.view.event(message, entryTime(this.now()))
        if (message.type !== 'object-created') this.presence.committed(message.userId, message.id)
        return
      case 'cursors':
      case 'selections':
      case 'previews':
      case 'user-connected':
        this.presence.handle(message)
        return
      case 'user-disconnected':
        this.presence.handle(message)
        this.viewportPresence.forget(message.userId)
        return
      case 'viewports':
        this.viewportPresence.handle(message)
        return
      case 'error':
        this.handleError(message)
        return
      case 'canvas-updated':
        this.canvas = message.canvas
        return
      case 'role-changed':
        this.changeRole(message.role)
        return
      case 'pong':
        return
      default:
        // A newer server may send more; what this engine does not know it ignores.
        message satisfies never
    }
  }

  private handleWelcome(welcome: AuthSuccessMessage): void {
    if (!this.view.welcome(welcome)) {
      // A resume that left a hole: start over with the whole canvas.
      this.hasState = false
      this.connection.abandon('need the whole canvas', 0)
      return
    }
    this.hasState = true
    this.connection.markJoined()
    const { userId, username, color, role } = welcome
    this.me = { userId, username, color, role }
    // Ops another user queued in this browser stay in the store for them [SYNC24].
    this.view.keepPending(this.outbox.claim(this.view.pending, userId))
    // A viewer's queued edits would all be refused: they go now, said once [SYNC33].
    this.discarded = 0
    if (role === 'viewer') this.discardPending(() => true)
    // Every pending op again, in order, with its own opId: the server applies each once [SYNC21].
    this.outbox.pump()
    this.presence.join(userId, welcome.users)
    this.viewportPresence.join(userId)
  }

  private handleError(error: ErrorMessage): void {
    const { opId } = error
    const ours = opId !== undefined && this.view.has(opId)
    if (ours && error.code === 'forbidden' && this.me?.role === 'viewer') {
      // Sent before the role changed, refused after: part of the edits the notice counts [SYNC33].
      this.discardPending((p) => p.opId === opId)
      return
    }
    this.fail(error.code, error.message)
    if (!ours) return
    if (TRANSIENT_ERRORS.has(error.code)) {
      this.outbox.retryLater(opId)
      return
    }
    this.drop(opId)
  }

  /**
   * The owner changed my role [SYNC33]. As a viewer, my edits not yet sent on this socket are
   * dropped at once (the server would refuse them); those in flight are acked or refused.
   */
  private changeRole(role: Role): void {
    if (this.me !== undefined) this.me = { ...this.me, role }
    this.discarded = 0
    if (role === 'viewer') this.discardPending((p) => !this.outbox.wasSent(p.opId))
  }

  /** Drops the pending ops that `which` picks, telling the user in plain words how many went. */
  private discardPending(which: (p: { opId: string }) => boolean): void {
    const dropped = this.view.pending.filter(which).map((p) => p.opId)
    if (dropped.length === 0) return
    for (const opId of dropped) this.drop(opId)
    this.discarded += dropped.length
    const changes = this.discarded === 1 ? 'change was' : 'changes were'
    this.fail(
      'edits_discarded',
      `you can only view this canvas now: ${this.discarded} unsaved ${changes} discarded`,
    )
  }

  /** The canvas is gone: nothing queued for it can ever be applied, so nothing is kept [SYNC23]. */
  private discardAll(): void {
    for (const { opId } of [...this.view.pending]) this.drop(opId)
  }

  /** A pending op that will never be applied: out of the view, the undo steps and the store. */
  private drop(opId: string): void {
    if (this.view.drop(opId) === undefined) return
    this.undoSteps.forget(opId)
    this.outbox.forget(opId)
    this.endPreviewIfSaved()
  }

  // ---- bookkeeping -------------------------------------------------------------------------------

  private fail(code: string, message: string): void {
    this.lastError = { code, message }
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

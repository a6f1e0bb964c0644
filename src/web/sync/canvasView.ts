import type { AuthSuccessMessage, RoomEvent } from '../../protocol/messages.js'
import type { CanvasObject } from '../../protocol/objects.js'
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
import type { PendingOp } from './pendingOp.js'

/**
 * The optimistic view of one canvas [SYNC1]: the ClientState (clientState.ts, the pure rules)
 * and the view built from it, kept up to date by local edits and rebuilt only when the server
 * changes the state underneath. `objects` hands out a copy that stays the same object until the
 * view changes, so selectors can compare identity [SYNC29].
 */
export class CanvasView {
  private readonly state: ClientState
  /** The view, kept up to date by local edits; undefined when it must be rebuilt. */
  private view: Map<string, CanvasObject> | undefined
  private copy: ReadonlyMap<string, CanvasObject> | undefined

  constructor(userId = '') {
    this.state = emptyClientState(userId)
  }

  /** The last server seq applied. */
  get seq(): number {
    return this.state.seq
  }

  /** Our ops not acked yet, in the order they were made [SYNC2]. */
  get pending(): PendingOp[] {
    return this.state.pending
  }

  /** The view, for reading now (it changes in place): the snapshot uses `objects`. */
  get live(): ReadonlyMap<string, CanvasObject> {
    return this.current()
  }

  get objects(): ReadonlyMap<string, CanvasObject> {
    return (this.copy ??= new Map(this.current()))
  }

  /** A local edit: queued after every other pending op and shown at once [SYNC1]. */
  addLocal(pending: PendingOp): void {
    const view = this.current()
    addPending(this.state, pending)
    applyOp(view, pending.op, stampOf(this.state, pending))
    this.copy = undefined
  }

  /** Stored ops from before this session: they go before anything made since [SYNC24]. */
  addStored(ops: readonly PendingOp[]): void {
    if (ops.length === 0) return
    this.state.pending.unshift(...ops)
    this.invalidate()
  }

  /** Replaces the pending list (a welcome left another user's ops out) [SYNC24]. */
  keepPending(pending: PendingOp[]): void {
    if (pending.length === this.state.pending.length) return
    this.state.pending = pending
    this.invalidate()
  }

  /** False when a resume left a hole: the caller must ask for the whole canvas [SYNC22]. */
  welcome(message: AuthSuccessMessage): boolean {
    const complete = applyAuthSuccess(this.state, message)
    this.invalidate()
    return complete
  }

  event(event: RoomEvent, at: string): void {
    applyServerEvent(this.state, event, at)
    this.invalidate()
  }

  /** The acked op, or undefined for an opId that is not ours (any more) [SYNC2, SYNC4]. */
  ack(opId: string, seq: number): PendingOp | undefined {
    const acked = applyAck(this.state, opId, seq)
    if (acked !== undefined) this.invalidate()
    return acked
  }

  /** A refused op: out, and the view follows the server [SYNC7]. */
  drop(opId: string): PendingOp | undefined {
    const dropped = dropPending(this.state, opId)
    if (dropped !== undefined) this.invalidate()
    return dropped
  }

  has(opId: string): boolean {
    return this.state.pending.some((p) => p.opId === opId)
  }

  private current(): Map<string, CanvasObject> {
    this.view ??= optimisticView(this.state)
    return this.view
  }

  private invalidate(): void {
    this.view = undefined
    this.copy = undefined
  }
}

import { entryTime } from '../../core/room/entryEvent.js'
import type { Op } from '../../core/room/logEntry.js'
import type { AuthSuccessMessage, RoomEvent } from '../../protocol/messages.js'
import type { CanvasObject } from '../../protocol/objects.js'
import { assertNever, type PendingOp } from './pendingOp.js'

/**
 * The client's copy of one canvas, the pure core of the sync engine (docs/spec/sync.md).
 *
 * Invariants:
 * - `objects` is the server's state after every entry up to `seq`, applied in seq order with the
 *   room's rules (applyEntry) [SYNC3].
 * - `acked` holds our ops the server acked at a seq above `seq`, sorted by seq. An ack can
 *   overtake the events of lower seqs (the server coalesces broadcasts, not acks), so an acked
 *   op waits here until the events before it are in [SYNC4].
 * - `pending` holds our ops not acked yet, in the order they were made. The server will give them
 *   seqs after everything above, so the optimistic view applies them last [SYNC1, SYNC5].
 *
 * Owned by one engine: these functions update it in place and return it (as RoomState, ROOM2);
 * CanvasObject values are never mutated, a change replaces the object.
 */
export interface ClientState {
  seq: number
  objects: Map<string, CanvasObject>
  acked: AckedOp[]
  pending: PendingOp[]
  /** The signed-in user: `createdBy` of our own creates until the server's copy arrives. */
  userId: string
}

export interface AckedOp {
  seq: number
  pending: PendingOp
}

/** Who and when an op is applied as: `createdBy` of a create, `updatedAt` of anything. */
export interface Stamp {
  userId: string
  at: string
}

export function emptyClientState(userId = ''): ClientState {
  return { seq: 0, objects: new Map(), acked: [], pending: [], userId }
}

/**
 * Applies one op to `objects` (in place) with the room's rules: a create of an existing id, an
 * update or delete of a missing one change nothing; an update sets the changed properties, keeps
 * id, type and createdBy and bumps version [ROOM10, ROOM14]. Returns whether anything changed.
 */
export function applyOp(objects: Map<string, CanvasObject>, op: Op, stamp: Stamp): boolean {
  switch (op.kind) {
    case 'create':
      if (objects.has(op.object.id)) return false
      objects.set(op.object.id, { ...op.object, createdBy: stamp.userId, updatedAt: stamp.at, version: 1 })
      return true
    case 'update': {
      const current = objects.get(op.id)
      if (current === undefined) return false
      objects.set(op.id, {
        ...current,
        ...op.changes,
        id: current.id,
        type: current.type,
        createdBy: current.createdBy,
        updatedAt: stamp.at,
        version: current.version + 1,
      })
      return true
    }
    case 'delete':
      return objects.delete(op.id)
    default:
      return assertNever(op)
  }
}

/**
 * One object-* event from the server. Our acked ops with lower seqs go first: events arrive in
 * seq order, so every entry before this one that we will ever hear of is in [SYNC4]. An event at
 * or below `seq` changes nothing [ROOM13]; one at the seq of an acked op is that op, sent back
 * to us by a resume, and replaces it. `at` stamps updatedAt (events carry no time).
 */
export function applyServerEvent(state: ClientState, event: RoomEvent, at: string): ClientState {
  applyAckedThrough(state, event.seq - 1)
  if (!(event.seq > state.seq)) return state
  if (state.acked[0]?.seq === event.seq) state.acked.shift()
  state.seq = event.seq
  switch (event.type) {
    case 'object-created':
      if (!state.objects.has(event.object.id)) state.objects.set(event.object.id, event.object)
      break
    case 'object-updated':
      applyOp(state.objects, { kind: 'update', id: event.id, changes: event.changes }, { userId: '', at })
      break
    case 'object-deleted':
      state.objects.delete(event.id)
      break
    default:
      assertNever(event)
  }
  settle(state)
  return state
}

/**
 * The ack of one of our ops: it leaves `pending` and is returned (so the shell can forget it in
 * the store); undefined for an opId we do not have. An ack at or below `seq` is for an op the
 * state already holds (a resend after the state was replaced or resumed); otherwise the op
 * becomes part of the state at its seq as soon as the entries before it are in [SYNC2, SYNC4].
 */
export function applyAck(state: ClientState, opId: string, seq: number): PendingOp | undefined {
  const pending = takePending(state, opId)
  if (pending === undefined) return undefined
  if (seq > state.seq && !state.acked.some((a) => a.seq === seq)) {
    const at = state.acked.findIndex((a) => a.seq > seq)
    state.acked.splice(at < 0 ? state.acked.length : at, 0, { seq, pending })
    settle(state)
  }
  return pending
}

/** An op the server refused: it leaves `pending` and the view follows the server [SYNC7]. */
export function dropPending(state: ClientState, opId: string): PendingOp | undefined {
  return takePending(state, opId)
}

export function addPending(state: ClientState, pending: PendingOp): ClientState {
  state.pending.push(pending)
  return state
}

/**
 * auth-success. Without `resumed` its objects replace ours (and every acked op, which it
 * includes); with `resumed` the missed entries came just before it as events and our state is
 * kept [SYNC22]. Returns false when a resumed state still lacks entries up to the welcome's
 * seq: the caller must then ask for the whole canvas.
 */
export function applyAuthSuccess(state: ClientState, welcome: AuthSuccessMessage): boolean {
  state.userId = welcome.userId
  if (welcome.resumed !== true) {
    state.objects = new Map(welcome.objects.map((o) => [o.id, o]))
    state.seq = welcome.seq
    state.acked = state.acked.filter((a) => a.seq > welcome.seq)
    settle(state)
    return true
  }
  applyAckedThrough(state, welcome.seq)
  return state.seq >= welcome.seq
}

/**
 * What the user sees: the confirmed objects, then our acked ops, then our pending ops, each by
 * the room's rules [SYNC1]. A new Map; the state is not touched.
 */
export function optimisticView(state: ClientState): Map<string, CanvasObject> {
  const view = new Map(state.objects)
  for (const acked of state.acked) applyOp(view, acked.pending.op, stampOf(state, acked.pending))
  for (const pending of state.pending) applyOp(view, pending.op, stampOf(state, pending))
  return view
}

export function stampOf(state: ClientState, pending: PendingOp): Stamp {
  return { userId: pending.userId ?? state.userId, at: entryTime(pending.at) }
}

function takePending(state: ClientState, opId: string): PendingOp | undefined {
  const index = state.pending.findIndex((p) => p.opId === opId)
  if (index < 0) return undefined
  return state.pending.splice(index, 1)[0]
}

/** Applies the acked ops with seq <= `seq`, in order; seqs between them were no-op entries. */
function applyAckedThrough(state: ClientState, seq: number): void {
  while (state.acked.length > 0 && (state.acked[0] as AckedOp).seq <= seq) {
    applyAcked(state, state.acked.shift() as AckedOp)
  }
}

/** Applies the acked ops that follow `seq` without a gap. */
function settle(state: ClientState): void {
  while (state.acked[0]?.seq === state.seq + 1) applyAcked(state, state.acked.shift() as AckedOp)
}

function applyAcked(state: ClientState, acked: AckedOp): void {
  if (acked.seq <= state.seq) return
  applyOp(state.objects, acked.pending.op, stampOf(state, acked.pending))
  state.seq = acked.seq
}

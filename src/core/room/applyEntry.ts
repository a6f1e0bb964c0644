import type { RoomEvent } from '../../protocol/messages.js'
import type { CanvasObject } from '../../protocol/objects.js'
import { createdEvent, createdObject, entryTime } from './entryEvent.js'
import type { LogEntry } from './logEntry.js'
import { encodedSize, rememberOp, setSize, updateSizeDelta, type RoomState } from './roomState.js'

/**
 * Apply: the one function every instance runs on every log entry, in seq order (docs/spec/room.md).
 * Total and deterministic: it never throws, reads no clock (time is `entry.at`), and its result
 * depends only on the state and the entry, so replicas fed the same log converge [ROOM11].
 * Updates `state` in place (see roomState.ts) and returns it.
 */
export function applyEntry(state: RoomState, entry: LogEntry): { state: RoomState; events: RoomEvent[] } {
  // Replays are harmless: an entry the state already reflects changes nothing [ROOM13].
  if (!(entry.seq > state.seq)) return { state, events: [] }
  state.seq = entry.seq
  // Every entry in the log fills the dedup window, no-op or not: a resend is acked with this seq [ROOM20].
  rememberOp(state, entry.userId, entry.opId, entry.seq)
  const event = applyOp(state, entry)
  return { state, events: event === undefined ? [] : [event] }
}

function applyOp(state: RoomState, entry: LogEntry): RoomEvent | undefined {
  const { op, userId, seq } = entry
  switch (op.kind) {
    case 'create': {
      // Decided against another instance's state: the id is taken here, so the first create wins [ROOM14].
      if (state.objects.has(op.object.id)) return undefined
      const object = createdObject(entry, op.object)
      state.objects.set(object.id, object)
      setSize(state, object.id, encodedSize(object))
      return createdEvent(object, userId, seq)
    }
    case 'update': {
      const current = state.objects.get(op.id)
      if (current === undefined) return undefined // after a delete: no-op [ROOM14]
      // Per-property last writer wins in log order; identity and server fields cannot be overwritten [ROOM10].
      const next: CanvasObject = {
        ...current,
        ...op.changes,
        id: current.id,
        type: current.type,
        createdBy: current.createdBy,
        updatedAt: entryTime(entry.at),
        version: current.version + 1,
      }
      state.objects.set(next.id, next)
      const size = state.sizes.get(op.id) ?? 0
      setSize(state, op.id, Math.max(1, size + updateSizeDelta(current, op.changes)))
      return { type: 'object-updated', id: op.id, changes: op.changes, userId, seq }
    }
    case 'delete':
      if (!state.objects.delete(op.id)) return undefined
      setSize(state, op.id, 0)
      return { type: 'object-deleted', id: op.id, userId, seq }
    default:
      // Only reachable from a log written by a newer or broken writer: skip it, keep the seq [ROOM12].
      op satisfies never
      return undefined
  }
}

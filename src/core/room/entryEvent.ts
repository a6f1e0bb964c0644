import type { ObjectCreatedMessage, RoomEvent } from '../../protocol/messages.js'
import type { CanvasObject, NewObject } from '../../protocol/objects.js'
import type { LogEntry } from './logEntry.js'

/** The widest range a Date holds; beyond it toISOString throws, and applyEntry must not [ROOM12]. */
const MAX_DATE_MS = 8.64e15

/** `entry.at` as ISO-8601: the one clock replicas share. Out-of-range or non-finite values are clamped. */
export function entryTime(at: number): string {
  const ms = Number.isFinite(at) ? Math.min(MAX_DATE_MS, Math.max(-MAX_DATE_MS, at)) : 0
  return new Date(ms).toISOString()
}

/** The object a create entry makes: server fields come from the entry and override the client's [ROOM10]. */
export function createdObject(entry: LogEntry, object: NewObject): CanvasObject {
  return { ...object, createdBy: entry.userId, updatedAt: entryTime(entry.at), version: 1 }
}

/**
 * The message an entry sends when it applies, built from the entry alone: what a resuming client
 * is sent for entries it missed [ROOM15]. An entry that applyEntry treats as a no-op (create of
 * a taken id, update or delete of a missing one) still maps to a message here; clients apply
 * object-* messages by the same rules, so replaying it changes nothing for them either.
 */
export function entryEvent(entry: LogEntry): RoomEvent {
  const { op, userId, seq } = entry
  switch (op.kind) {
    case 'create':
      return createdEvent(createdObject(entry, op.object), userId, seq)
    case 'update':
      return { type: 'object-updated', id: op.id, changes: op.changes, userId, seq }
    case 'delete':
      return { type: 'object-deleted', id: op.id, userId, seq }
    default:
      return assertNever(op)
  }
}

export const createdEvent = (object: CanvasObject, userId: string, seq: number): ObjectCreatedMessage => ({
  type: 'object-created',
  object,
  userId,
  seq,
})

function assertNever(value: never): never {
  throw new Error(`unexpected op ${JSON.stringify(value)}`)
}

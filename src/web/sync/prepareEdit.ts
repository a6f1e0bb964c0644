import type { Op } from '../../core/room/logEntry.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import { OBJECT_LIMITS, type CanvasObject, type ObjectChanges } from '../../protocol/objects.js'
import { opMessage } from './pendingOp.js'
import { sameValue } from './undoHistory.js'

/**
 * What a local edit becomes against the current view (SYNC30): the op to send, nothing (it
 * would change nothing), or a refusal the server would give anyway, told at once. Pure.
 */
export type PreparedEdit =
  { kind: 'send'; op: Op } | { kind: 'skip' } | { kind: 'refuse'; code: ErrorCode; message: string }

/** The server closes a socket that sends a bigger frame (1009) [W2]: such an edit is refused here. */
export const MAX_FRAME_BYTES = 256 * 1024

const skip: PreparedEdit = { kind: 'skip' }
const refuse = (code: ErrorCode, message: string): PreparedEdit => ({ kind: 'refuse', code, message })

export function prepareEdit(op: Op, view: ReadonlyMap<string, CanvasObject>): PreparedEdit {
  let ready: Op
  switch (op.kind) {
    case 'create':
      if (view.has(op.object.id)) return refuse('conflict', `an object ${op.object.id} already exists`)
      ready = op
      break
    case 'update': {
      const current = view.get(op.id) as unknown as Record<string, unknown> | undefined
      if (current === undefined) return refuse('not_found', `no object ${op.id}`)
      // Only what differs from the view is sent; an update with nothing left sends nothing.
      const changes = Object.fromEntries(
        Object.entries(op.changes).filter(
          ([key, value]) => value !== undefined && !sameValue(current[key], value),
        ),
      ) as ObjectChanges
      if (Object.keys(changes).length === 0) return skip
      ready = { kind: 'update', id: op.id, changes }
      break
    }
    case 'delete':
      if (!view.has(op.id)) return skip
      ready = op
      break
    default:
      return op satisfies never
  }
  // The frame as it will be sent, with the longest opId; bytes are counted only when the
  // characters alone (at most 3 bytes each in UTF-16 → UTF-8) could pass the bound.
  const frame = JSON.stringify(
    opMessage({ opId: 'x'.repeat(OBJECT_LIMITS.idLength), op: ready, at: 0, order: 0 }),
  )
  if (frame.length * 3 > MAX_FRAME_BYTES && new TextEncoder().encode(frame).length > MAX_FRAME_BYTES) {
    return refuse('payload_too_large', `an edit is at most ${MAX_FRAME_BYTES / 1024} KiB`)
  }
  return { kind: 'send', op: ready }
}

import type { Op } from '../../core/room/logEntry.js'

/**
 * One edit of this user that the server has not acknowledged yet: what the sync engine keeps in
 * memory and in the PendingStore (IndexedDB), and resends after a reconnect or a reload with
 * the same `opId`, so the server applies it once [SYNC21].
 */
export interface PendingOp {
  /** `[A-Za-z0-9_-]{1,64}`, unique per user: names the op in its ack or error and dedups resends. */
  opId: string
  op: Op
  /** Unix ms when the edit was made: stamps `updatedAt` in the optimistic view. */
  at: number
  /** Strictly increasing per engine: the store lists a canvas's ops in this order. */
  order: number
  /** Who made it, when known: a stored op is only ever sent by the same user [SYNC24]. */
  userId?: string
}

/** The client frame that sends `pending`. */
export function opMessage(pending: PendingOp): Record<string, unknown> {
  const { opId, op } = pending
  switch (op.kind) {
    case 'create':
      return { type: 'object-create', opId, object: op.object }
    case 'update':
      return { type: 'object-update', opId, id: op.id, changes: op.changes }
    case 'delete':
      return { type: 'object-delete', opId, id: op.id }
    default:
      return assertNever(op)
  }
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'

/**
 * A random id of 22 characters from `[A-Za-z0-9_-]` (132 bits): for opIds and for new objects.
 * Uses crypto.getRandomValues, which (unlike crypto.randomUUID) pages served over plain http
 * on a LAN address also have.
 */
export function newId(): string {
  const bytes = new Uint8Array(22)
  crypto.getRandomValues(bytes)
  let id = ''
  for (const byte of bytes) id += ID_ALPHABET[byte & 63]
  return id
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`)
}

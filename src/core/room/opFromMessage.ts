import type { ClientOpMessage } from '../../protocol/messages.js'
import type { Op, OpRequest, ValidatedOp } from './logEntry.js'

/**
 * The only way from a client frame to an Op: the message type demands a parsed (checked) frame,
 * so raw input cannot reach the log [ROOM1].
 */
export function opFromMessage(message: ClientOpMessage): OpRequest {
  // The parsed brand of the message carries over: this is where a frame's op becomes validated.
  return { opId: message.opId, op: toOp(message) as ValidatedOp }
}

function toOp(message: ClientOpMessage): Op {
  switch (message.type) {
    case 'object-create':
      return { kind: 'create', object: message.object }
    case 'object-update':
      return { kind: 'update', id: message.id, changes: message.changes }
    case 'object-delete':
      return { kind: 'delete', id: message.id }
    default:
      return assertNever(message)
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected op message ${JSON.stringify(value)}`)
}

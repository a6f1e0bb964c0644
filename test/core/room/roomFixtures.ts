import { applyEntry } from '../../../src/core/room/applyEntry.js'
import { decideBatch, type Decision, type Member } from '../../../src/core/room/decideOp.js'
import type { LogEntry, Op, OpRequest } from '../../../src/core/room/logEntry.js'
import { opFromMessage } from '../../../src/core/room/opFromMessage.js'
import type { RoomState } from '../../../src/core/room/roomState.js'
import { parseClientMessage, type ClientOpMessage, type RoomEvent } from '../../../src/protocol/messages.js'

/** Test helpers for rooms: messages only ever come out of the real parser, as in the server. */

export const CANVAS = 'canvas-1'
export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)

export const owner: Member = { userId: 'u-owner', role: 'owner' }
export const editor: Member = { userId: 'u-editor', role: 'editor' }
export const viewer: Member = { userId: 'u-viewer', role: 'viewer' }

/** A parsed op message; throws (failing the test) if the frame is not valid. */
export function opMessage(frame: Record<string, unknown>): ClientOpMessage {
  const result = parseClientMessage(JSON.stringify(frame))
  if (!result.ok) throw new Error(`invalid test frame ${JSON.stringify(frame)}: ${result.message}`)
  const message = result.message
  if (
    message.type !== 'object-create' &&
    message.type !== 'object-update' &&
    message.type !== 'object-delete'
  ) {
    throw new Error(`not an op frame: ${message.type}`)
  }
  return message
}

export const createMsg = (opId: string, object: Record<string, unknown>) =>
  opMessage({ type: 'object-create', opId, object: { type: 'rect', ...object } })
export const updateMsg = (opId: string, id: string, changes: Record<string, unknown>) =>
  opMessage({ type: 'object-update', opId, id, changes })
export const deleteMsg = (opId: string, id: string) => opMessage({ type: 'object-delete', opId, id })

export function entry(
  seq: number,
  op: Op,
  userId = editor.userId,
  opId = `op-${seq}`,
  at = T0 + seq * 1000,
): LogEntry {
  return { canvasId: CANVAS, seq, at, userId, opId, op }
}

/**
 * What a room host does with one batch: decide, "append" the accepted inputs as the next seqs,
 * apply them. Returns the decisions, the new entries and the events.
 */
export function commit(
  state: RoomState,
  items: readonly { member: Member; message: ClientOpMessage }[],
  at = T0 + (state.seq + 1) * 1000,
): { decisions: Decision[]; entries: LogEntry[]; events: RoomEvent[] } {
  const decisions = decideBatch(state, requestItems(items))
  const entries: LogEntry[] = []
  for (const d of decisions) {
    if (d.kind === 'append')
      entries.push({ ...d.input, canvasId: CANVAS, seq: state.seq + entries.length + 1, at })
  }
  const events: RoomEvent[] = []
  for (const e of entries) events.push(...applyEntry(state, e).events)
  return { decisions, entries, events }
}

/** Decide items from client frames, as the gateway makes them (opFromMessage). */
export function requestItems(
  items: readonly { member: Member; message: ClientOpMessage }[],
): { member: Member; request: OpRequest }[] {
  return items.map(({ member, message }) => ({ member, request: opFromMessage(message) }))
}

import type { ClientOpMessage } from '../../protocol/messages.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import { OBJECT_LIMITS } from '../../protocol/objects.js'
import type { Role } from '../../protocol/roles.js'
import { can } from '../permissions.js'
import type { OpInput } from './logEntry.js'
import { opFromMessage } from './opFromMessage.js'
import { recentOpKey, type RoomState } from './roomState.js'

/**
 * Decide: the function before the log (docs/spec/room.md). It may reject and writes nothing: the
 * state is only read. Decisions are made against this instance's state; another instance may
 * have appended meanwhile, which applyEntry tolerates [ROOM14].
 */
export interface Member {
  userId: string
  role: Role
}

export interface DecideItem {
  member: Member
  message: ClientOpMessage
}

export type Decision =
  /** Store `input` in the log; ack the sender with the entry's seq once committed. */
  | { kind: 'append'; input: OpInput }
  /** The op is already in the log at `seq` [ROOM5]: ack again, store nothing. */
  | { kind: 'duplicate'; seq: number }
  /** The same op was appended by item `index` of this batch [ROOM5]: ack with that entry's seq. */
  | { kind: 'duplicate-in-batch'; index: number }
  /** Send an error frame with this code (and field for invalid_input), store nothing. */
  | { kind: 'reject'; code: ErrorCode; message: string; field?: string }

/** Pending effect of the batch's earlier items on one id: its parent, or null once deleted. */
type Pending = { parentId: string | null | undefined } | null

/**
 * Decides each item in order; an item sees the creates, updates of parentId and deletes of the
 * items accepted before it, as if they had been applied [ROOM6].
 */
export function decideBatch(state: RoomState, items: readonly DecideItem[]): Decision[] {
  const pending = new Map<string, Pending>()
  const pendingOps = new Map<string, number>()
  let objectCount = state.objects.size

  const exists = (id: string) => {
    const p = pending.get(id)
    return p === undefined ? state.objects.has(id) : p !== null
  }
  const parentOf = (id: string) => {
    const p = pending.get(id)
    return p === undefined ? state.objects.get(id)?.parentId : p?.parentId
  }
  /** Whether making `parentId` the parent of `id` closes a loop; stops at an existing loop [ROOM9]. */
  const closesLoop = (id: string, parentId: string) => {
    const seen = new Set<string>()
    for (let at: string | null | undefined = parentId; typeof at === 'string'; at = parentOf(at)) {
      if (at === id) return true
      if (seen.has(at)) return false
      seen.add(at)
    }
    return false
  }
  const checkParent = (
    id: string,
    parentId: string | null | undefined,
    field: string,
  ): Decision | undefined => {
    if (typeof parentId !== 'string') return undefined
    if (parentId === id) return reject('invalid_input', 'an object cannot be its own parent', field)
    if (!exists(parentId)) return reject('invalid_input', `no object ${parentId} to be the parent`, field)
    if (closesLoop(id, parentId)) return reject('invalid_input', `${parentId} is inside ${id}`, field)
    return undefined
  }

  const decideOne = (item: DecideItem): Decision => {
    const { member, message } = item
    const key = recentOpKey(member.userId, message.opId)
    const seq = state.recentOps.get(key)
    if (seq !== undefined) return { kind: 'duplicate', seq }
    const index = pendingOps.get(key)
    if (index !== undefined) return { kind: 'duplicate-in-batch', index }
    if (!can(member.role, 'edit-objects')) return reject('forbidden', `a ${member.role} cannot edit objects`)
    switch (message.type) {
      case 'object-create': {
        const { id, parentId } = message.object
        if (exists(id)) return reject('conflict', `an object ${id} already exists`, 'object.id')
        if (objectCount >= OBJECT_LIMITS.objectsPerCanvas) {
          return reject('limit_exceeded', `a canvas holds at most ${OBJECT_LIMITS.objectsPerCanvas} objects`)
        }
        return checkParent(id, parentId, 'object.parentId') ?? append(item)
      }
      case 'object-update':
        if (!exists(message.id)) return reject('not_found', `no object ${message.id}`, 'id')
        return checkParent(message.id, message.changes.parentId, 'changes.parentId') ?? append(item)
      case 'object-delete':
        if (!exists(message.id)) return reject('not_found', `no object ${message.id}`, 'id')
        return append(item)
      default:
        return assertNever(message)
    }
  }

  /** Records the accepted item's effect for the items after it. */
  const note = (message: ClientOpMessage) => {
    switch (message.type) {
      case 'object-create':
        pending.set(message.object.id, { parentId: message.object.parentId })
        objectCount++
        return
      case 'object-update':
        if (message.changes.parentId !== undefined)
          pending.set(message.id, { parentId: message.changes.parentId })
        return
      case 'object-delete':
        pending.set(message.id, null)
        objectCount--
        return
      default:
        assertNever(message)
    }
  }

  return items.map((item, i) => {
    const decision = decideOne(item)
    if (decision.kind === 'append') {
      pendingOps.set(recentOpKey(item.member.userId, item.message.opId), i)
      note(item.message)
    }
    return decision
  })
}

function append({ member, message }: DecideItem): Decision {
  return { kind: 'append', input: { opId: message.opId, userId: member.userId, op: opFromMessage(message) } }
}

function reject(code: ErrorCode, message: string, field?: string): Decision {
  return field === undefined ? { kind: 'reject', code, message } : { kind: 'reject', code, message, field }
}

function assertNever(value: never): never {
  throw new Error(`unexpected op message ${JSON.stringify(value)}`)
}

import type { ErrorCode } from '../../protocol/errorCodes.js'
import { OBJECT_LIMITS } from '../../protocol/objects.js'
import type { Role } from '../../protocol/roles.js'
import { can } from '../permissions.js'
import type { OpInput, OpRequest } from './logEntry.js'
import { encodedSize, recentOpKey, updateSizeDelta, type RoomState } from './roomState.js'
import type { Effect, UncommittedView } from './uncommitted.js'

/**
 * Decide: the function before the log (docs/spec/room.md). It may reject and writes nothing: the
 * state is only read. Decisions are made against this instance's state plus what it has accepted
 * and not applied yet; another instance may have appended meanwhile, which applyEntry
 * tolerates [ROOM14].
 */
export interface Member {
  userId: string
  role: Role
}

export interface DecideItem {
  member: Member
  request: OpRequest
}

export type Decision =
  /** Store `input` in the log; ack the sender with the entry's seq once committed. `bytes`: what it adds. */
  | { kind: 'append'; input: OpInput; bytes: number }
  /** The op is already in the log at `seq` [ROOM5]: ack again, store nothing. */
  | { kind: 'duplicate'; seq: number }
  /** The same op was accepted earlier and is not applied yet [ROOM5]: ack with its seq once it is. */
  | { kind: 'duplicate-pending' }
  /** The same op was appended by item `index` of this batch [ROOM5]: ack with that entry's seq. */
  | { kind: 'duplicate-in-batch'; index: number }
  /** Send an error frame with this code (and field for invalid_input), store nothing. */
  | { kind: 'reject'; code: ErrorCode; message: string; field?: string }

const NOTHING_UNCOMMITTED: UncommittedView = {
  effect: () => undefined,
  has: () => false,
  objectDelta: 0,
  byteDelta: 0,
}

/** What the server adds to a created object (createdBy, updatedAt, version), as JSON. */
const SERVER_FIELDS_BYTES = 96

/**
 * Decides each item in order; an item sees the creates, updates of parentId and deletes of the
 * items accepted before it, in this batch or still uncommitted, as if they had been applied [ROOM6].
 */
export function decideBatch(
  state: RoomState,
  items: readonly DecideItem[],
  uncommitted: UncommittedView = NOTHING_UNCOMMITTED,
): Decision[] {
  const pending = new Map<string, Effect>()
  const pendingOps = new Map<string, number>()
  let objectCount = state.objects.size + uncommitted.objectDelta
  let bytes = state.bytes + uncommitted.byteDelta
  const sizeOf = (id: string) => (pending.has(id) ? 0 : (state.sizes.get(id) ?? 0))
  /** Growth past the budget is refused; a canvas already past it may still shrink [ROOM26]. */
  const overBudget = (added: number) =>
    added > 0 && bytes + added > OBJECT_LIMITS.canvasBytes
      ? reject(
          'limit_exceeded',
          `this canvas is full: its objects may weigh at most ${OBJECT_LIMITS.canvasBytes / (1024 * 1024)} MiB; delete or simplify some`,
        )
      : undefined

  const effect = (id: string): Effect | undefined => pending.get(id) ?? uncommitted.effect(id)
  const exists = (id: string) => {
    const p = pending.has(id) ? pending.get(id) : uncommitted.effect(id)
    return p === undefined ? state.objects.has(id) : p !== null
  }
  const parentOf = (id: string) => {
    const p = effect(id)
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

  const decideOne = ({ member, request }: DecideItem): Decision => {
    const key = recentOpKey(member.userId, request.opId)
    const seq = state.recentOps.get(key)
    if (seq !== undefined) return { kind: 'duplicate', seq }
    const index = pendingOps.get(key)
    if (index !== undefined) return { kind: 'duplicate-in-batch', index }
    if (uncommitted.has(member.userId, request.opId)) return { kind: 'duplicate-pending' }
    if (!can(member.role, 'edit-objects')) return reject('forbidden', `a ${member.role} cannot edit objects`)
    const { op } = request
    switch (op.kind) {
      case 'create': {
        const { id, parentId } = op.object
        if (exists(id)) return reject('conflict', `an object ${id} already exists`, 'object.id')
        if (objectCount >= OBJECT_LIMITS.objectsPerCanvas) {
          return reject('limit_exceeded', `a canvas holds at most ${OBJECT_LIMITS.objectsPerCanvas} objects`)
        }
        const added = encodedSize(op.object) + SERVER_FIELDS_BYTES
        return (
          checkParent(id, parentId, 'object.parentId') ?? overBudget(added) ?? append(member, request, added)
        )
      }
      case 'update': {
        if (!exists(op.id)) return reject('not_found', `no object ${op.id}`, 'id')
        const current = state.objects.get(op.id)
        const added = current ? updateSizeDelta(current, op.changes) : encodedSize(op.changes)
        return (
          checkParent(op.id, op.changes.parentId, 'changes.parentId') ??
          overBudget(added) ??
          append(member, request, added)
        )
      }
      case 'delete':
        if (!exists(op.id)) return reject('not_found', `no object ${op.id}`, 'id')
        return append(member, request, -sizeOf(op.id))
      default:
        return assertNever(op)
    }
  }

  /** Records the accepted item's effect for the items after it. */
  const note = ({ op }: OpRequest) => {
    switch (op.kind) {
      case 'create':
        pending.set(op.object.id, { parentId: op.object.parentId })
        objectCount++
        return
      case 'update':
        if (op.changes.parentId !== undefined) pending.set(op.id, { parentId: op.changes.parentId })
        return
      case 'delete':
        pending.set(op.id, null)
        objectCount--
        return
      default:
        assertNever(op)
    }
  }

  return items.map((item, i) => {
    const decision = decideOne(item)
    if (decision.kind === 'append') {
      pendingOps.set(recentOpKey(item.member.userId, item.request.opId), i)
      bytes += decision.bytes
      note(item.request)
    }
    return decision
  })
}

function append(member: Member, request: OpRequest, bytes: number): Decision {
  return { kind: 'append', input: { opId: request.opId, userId: member.userId, op: request.op }, bytes }
}

function reject(code: ErrorCode, message: string, field?: string): Decision {
  return field === undefined ? { kind: 'reject', code, message } : { kind: 'reject', code, message, field }
}

function assertNever(value: never): never {
  throw new Error(`unexpected op ${JSON.stringify(value)}`)
}

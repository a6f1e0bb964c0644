import type { Op } from './logEntry.js'
import { recentOpKey } from './roomState.js'

/** An accepted op's effect on one id that decisions must see: its parent, or null once deleted. */
export type Effect = { parentId: string | null | undefined } | null

/** What decideBatch may ask about ops accepted earlier but not applied yet. */
export interface UncommittedView {
  /** The latest uncommitted effect on `id`, or undefined when no uncommitted op touches it. */
  effect(id: string): Effect | undefined
  /** Whether the user's opId is accepted and on its way to the log [ROOM5]. */
  has(userId: string, opId: string): boolean
  /** Objects the uncommitted ops add (creates minus deletes). */
  readonly objectDelta: number
  /** Bytes the uncommitted ops add to the canvas (may be negative) [ROOM26]. */
  readonly byteDelta: number
}

interface Held {
  userId: string
  opId: string
  /** recentOpKey(userId, opId), made once. */
  key: string
  op: Op
  bytes: number
  /** The id whose effect this op holds, if it has one. */
  effectId: string | undefined
}

/**
 * Ops a room has accepted and handed to the log, until they are applied (or fail) [ROOM6]. A room
 * decides each op when it arrives, so the decision must see what is still in flight: the log's
 * group commit is the only queue between a frame and its fsync [ROOM24].
 *
 * Per id it keeps the latest effect and how many held ops with an effect touch the id; the effect
 * is dropped when the last of them is released, at which point the state holds the truth again.
 * An update that leaves parentId alone has no effect and costs no entry (most ops are such).
 */
export class Uncommitted implements UncommittedView {
  private readonly effects = new Map<string, { effect: Effect; holders: number }>()
  private readonly opKeys = new Set<string>()
  private delta = 0
  private bytes = 0

  get objectDelta(): number {
    return this.delta
  }

  get byteDelta(): number {
    return this.bytes
  }

  effect(id: string): Effect | undefined {
    return this.effects.get(id)?.effect
  }

  has(userId: string, opId: string): boolean {
    return this.opKeys.has(recentOpKey(userId, opId))
  }

  /** Records an accepted op; release the returned handle once it is applied or has failed. */
  hold(userId: string, opId: string, op: Op, bytes: number): Held {
    const key = recentOpKey(userId, opId)
    this.opKeys.add(key)
    this.bytes += bytes
    if (op.kind === 'create') this.delta++
    if (op.kind === 'delete') this.delta--
    const effect = effectOf(op)
    let effectId: string | undefined
    if (effect !== undefined) {
      effectId = op.kind === 'create' ? op.object.id : op.id
      const slot = this.effects.get(effectId)
      if (slot) {
        slot.holders++
        slot.effect = effect
      } else {
        this.effects.set(effectId, { effect, holders: 1 })
      }
    }
    return { userId, opId, key, op, bytes, effectId }
  }

  release(held: Held): void {
    if (!this.opKeys.delete(held.key)) return
    this.bytes -= held.bytes
    if (held.op.kind === 'create') this.delta--
    if (held.op.kind === 'delete') this.delta++
    if (held.effectId === undefined) return
    const slot = this.effects.get(held.effectId)
    if (slot && --slot.holders === 0) this.effects.delete(held.effectId)
  }
}

export type HeldOp = ReturnType<Uncommitted['hold']>

/** An update that does not touch parentId changes nothing decisions look at. */
function effectOf(op: Op): Effect | undefined {
  switch (op.kind) {
    case 'create':
      return { parentId: op.object.parentId }
    case 'update':
      return op.changes.parentId === undefined ? undefined : { parentId: op.changes.parentId }
    case 'delete':
      return null
    default:
      return op satisfies never
  }
}

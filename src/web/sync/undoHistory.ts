import type { Op } from '../../core/room/logEntry.js'
import type { CanvasObject, NewObject, ObjectChanges } from '../../protocol/objects.js'
import { assertNever } from './pendingOp.js'

/**
 * Undo as inverse operations (docs/spec/sync.md, SYNC10–SYNC13). Each op this user makes leaves
 * a record of what it changed; undoing computes the inverse against the view *at undo time*, so
 * it only takes back what is still this user's: a property someone else has changed since keeps
 * their value [SYNC12]. Undo and redo send ordinary ops, which the server orders like any other.
 */
export type UndoRecord =
  /** The op created `id`: undo deletes it. */
  | { kind: 'create'; id: string }
  /** The op deleted `object` (its last properties): undo creates it again, same id. */
  | { kind: 'delete'; object: NewObject }
  /** The op set `after` where the object had `before`: undo restores `before` where `after` still holds. */
  | { kind: 'update'; id: string; before: ObjectChanges; after: ObjectChanges }

/** What a step remembers of one op, or of several updates of one object merged (addToStep). */
export interface UndoEntry {
  /** The ops behind the record, so a refused one can be forgotten. */
  opIds: string[]
  record: UndoRecord
}

/** How many steps are kept; the oldest go first. */
export const UNDO_LIMIT = 200

/** The record `op` leaves when applied to `view` (the view before it); undefined when it changes nothing undoable. */
export function undoRecordOf(op: Op, view: ReadonlyMap<string, CanvasObject>): UndoRecord | undefined {
  switch (op.kind) {
    case 'create':
      return view.has(op.object.id) ? undefined : { kind: 'create', id: op.object.id }
    case 'delete': {
      const object = view.get(op.id)
      return object === undefined ? undefined : { kind: 'delete', object: propsOf(object) }
    }
    case 'update': {
      const object = view.get(op.id)
      if (object === undefined) return undefined
      const current = object as unknown as Record<string, unknown>
      const before: Record<string, unknown> = {}
      const after: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(op.changes)) {
        if (value === undefined) continue
        // An update cannot remove a property, so one that was unset stays set after an undo;
        // parentId alone has an explicit "none" (null) [PROTO16].
        const old = current[key] ?? (key === 'parentId' ? null : undefined)
        if (old === undefined || sameValue(old, value)) continue
        before[key] = old
        after[key] = value
      }
      if (Object.keys(after).length === 0) return undefined
      return { kind: 'update', id: op.id, before, after }
    }
    default:
      return assertNever(op)
  }
}

/**
 * The op that takes `record` back in `view`, or undefined when nothing of it is left to take
 * back: the object is gone (or back), or every property it set has been changed since [SYNC11, SYNC12].
 */
export function inverseOf(record: UndoRecord, view: ReadonlyMap<string, CanvasObject>): Op | undefined {
  switch (record.kind) {
    case 'create':
      return view.has(record.id) ? { kind: 'delete', id: record.id } : undefined
    case 'delete':
      return view.has(record.object.id) ? undefined : { kind: 'create', object: record.object }
    case 'update': {
      const object = view.get(record.id)
      if (object === undefined) return undefined
      const current = object as unknown as Record<string, unknown>
      const before = record.before as Record<string, unknown>
      const changes: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(record.after)) {
        const now = current[key] ?? (key === 'parentId' ? null : undefined)
        if (sameValue(now, value) && before[key] !== undefined) changes[key] = before[key]
      }
      if (Object.keys(changes).length === 0) return undefined
      return { kind: 'update', id: record.id, changes }
    }
    default:
      return assertNever(record)
  }
}

/**
 * Adds an entry to an open step. An update of an object the step already updated, with no
 * create or delete of it in between, merges into that entry: the first `before` and the last
 * `after` per property. A drag of 60 moves is then undone by one update per object [SYNC13].
 */
export function addToStep(step: UndoEntry[], entry: UndoEntry): void {
  const { record } = entry
  if (record.kind === 'update') {
    for (let i = step.length - 1; i >= 0; i--) {
      const earlier = step[i] as UndoEntry
      if (idOf(earlier.record) !== record.id) continue
      if (earlier.record.kind !== 'update') break
      step[i] = {
        opIds: [...earlier.opIds, ...entry.opIds],
        record: {
          kind: 'update',
          id: record.id,
          before: { ...record.before, ...earlier.record.before },
          after: { ...earlier.record.after, ...record.after },
        },
      }
      return
    }
  }
  step.push(entry)
}

function idOf(record: UndoRecord): string {
  return record.kind === 'delete' ? record.object.id : record.id
}

/** The client-settable properties of an object: what a create needs to bring it back. */
export function propsOf(object: CanvasObject): NewObject {
  const { createdBy: _createdBy, updatedAt: _updatedAt, version: _version, ...props } = object
  return props
}

/** Property values are JSON: primitives, null, or arrays of numbers (points). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
  return a.every((item, i) => sameValue(item, b[i]))
}

/** The two stacks of steps. Pure bookkeeping: the engine computes and sends the inverses. */
export class UndoHistory {
  private readonly undoSteps: UndoEntry[][] = []
  private readonly redoSteps: UndoEntry[][] = []

  constructor(private readonly limit = UNDO_LIMIT) {}

  get canUndo(): boolean {
    return this.undoSteps.length > 0
  }

  get canRedo(): boolean {
    return this.redoSteps.length > 0
  }

  /** A step of new edits: it can be undone, and nothing undone before can be redone [SYNC10]. */
  pushEdit(step: readonly UndoEntry[]): void {
    if (step.length === 0) return
    this.redoSteps.length = 0
    push(this.undoSteps, step, this.limit)
  }

  /** The step an undo made: redo makes it again. */
  pushUndone(step: readonly UndoEntry[]): void {
    if (step.length > 0) push(this.redoSteps, step, this.limit)
  }

  /** The step a redo made: undo takes it back; the rest of the redo stack stays. */
  pushRedone(step: readonly UndoEntry[]): void {
    if (step.length > 0) push(this.undoSteps, step, this.limit)
  }

  popUndo(): UndoEntry[] | undefined {
    return this.undoSteps.pop()
  }

  popRedo(): UndoEntry[] | undefined {
    return this.redoSteps.pop()
  }

  /**
   * An op the server refused never happened: an entry made of it alone goes, and a step left
   * empty goes too. A merged entry stays while one of its ops stands.
   */
  forget(opId: string): void {
    for (const steps of [this.undoSteps, this.redoSteps]) {
      for (let i = steps.length - 1; i >= 0; i--) {
        const step = steps[i] as UndoEntry[]
        if (!step.some((e) => e.opIds.includes(opId))) continue
        const kept = step
          .map((e) => ({ ...e, opIds: e.opIds.filter((id) => id !== opId) }))
          .filter((e) => e.opIds.length > 0)
        if (kept.length === 0) steps.splice(i, 1)
        else steps[i] = kept
      }
    }
  }
}

function push(steps: UndoEntry[][], step: readonly UndoEntry[], limit: number): void {
  steps.push([...step])
  if (steps.length > limit) steps.shift()
}

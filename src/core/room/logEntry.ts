import type { NewObject, ObjectChanges } from '../../protocol/objects.js'

/**
 * A validated operation: the only thing that can enter the log. Built by the protocol parser
 * from a client frame (or by the AI planner); raw input never reaches applyEntry.
 */
export type Op =
  | { kind: 'create'; object: NewObject }
  | { kind: 'update'; id: string; changes: ObjectChanges }
  | { kind: 'delete'; id: string }

/** What the room asks the log to store. */
export interface OpInput {
  opId: string
  userId: string
  op: Op
}

/** One committed entry of a canvas's log. `seq` runs 1, 2, 3… per canvas without gaps. */
export interface LogEntry extends OpInput {
  canvasId: string
  seq: number
  /** Unix ms when the log committed it: the time applyEntry uses, so replicas agree. */
  at: number
}

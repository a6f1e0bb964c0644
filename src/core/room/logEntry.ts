import type { NewObject, ObjectChanges } from '../../protocol/objects.js'

/**
 * A validated operation: the only thing that can enter the log. Built by the protocol parser
 * from a client frame (or by the AI planner); raw input never reaches applyEntry.
 */
export type Op =
  | { kind: 'create'; object: NewObject }
  | { kind: 'update'; id: string; changes: ObjectChanges }
  | { kind: 'delete'; id: string }

declare const validated: unique symbol
/**
 * An Op checked at the edge against the protocol's schemas: a parsed client frame (opFromMessage)
 * or whatever later source validates the same way. Only these reach decideBatch, so raw input
 * cannot enter the log [ROOM1]. The brand exists only in the type system.
 */
export type ValidatedOp = Op & { readonly [validated]: true }

/** An operation someone asks a room to commit: the edge's opId (the idempotency key) and the op. */
export interface OpRequest {
  opId: string
  op: ValidatedOp
}

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

import type { LogEntry } from '../core/room/logEntry.js'
import type { Role } from '../protocol/roles.js'

/** A change to a canvas made beside its log (over HTTP) that open rooms apply live. */
export type CanvasNotice =
  | { kind: 'renamed'; canvas: { id: string; name: string; updatedAt: string } }
  /** A member's role changed; null: removed. */
  | { kind: 'access'; userId: string; role: Role | null }
  | { kind: 'deleted' }

/** What a room (or any other subscriber) is told about one canvas. */
export interface CanvasListener {
  /**
   * The canvas's log has entries up to `headSeq`; `entries` are some of the new ones (all, some,
   * or none: a doorbell). The listener reads the log for what it has not seen [BUS1].
   */
  committed(entries: readonly LogEntry[], headSeq: number): void
  notice(notice: CanvasNotice): void
}

/**
 * The one way out of a commit: whoever appends to a canvas's log (a room here, a room on another
 * instance, an HTTP action) publishes what it committed, and every listener of that canvas learns
 * of it. Losing a message costs latency, never data: the log is the truth (design.md).
 * Every implementation passes test/contract/canvasBus.contract.ts.
 *
 * [BUS1] a listener subscribed to a canvas learns of every later commit to it, at least as the new
 *        head; entries may come late, twice or out of order, never with a wrong seq.
 * [BUS2] notices reach every listener of the canvas subscribed when they are published.
 * [BUS3] `from` is not told of what it published itself.
 * [BUS4] after unsubscribe (or close) a listener hears nothing more.
 */
export interface CanvasBus {
  /** `headSeq`: the highest seq committed; `entries`: what to hand over with it (may be empty). */
  publishCommitted(
    canvasId: string,
    headSeq: number,
    entries: readonly LogEntry[],
    from?: CanvasListener,
  ): void
  publishNotice(canvasId: string, notice: CanvasNotice): void
  /** Returns the unsubscribe function. */
  subscribe(canvasId: string, listener: CanvasListener): () => void
  close(): Promise<void>
}

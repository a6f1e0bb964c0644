import type { LogEntry, OpInput } from '../core/room/logEntry.js'
import type { CanvasObject } from '../protocol/objects.js'

export interface Snapshot {
  /** The log position the objects reflect: every entry with seq <= this is applied. */
  seq: number
  objects: CanvasObject[]
}

export interface LastEdit {
  seq: number
  /** Unix ms of the head entry; undefined when trimming removed it. */
  at: number | undefined
}

/** A snapshot to save: the objects, or the objects already encoded as a JSON array [ROOM27]. */
export type SnapshotToSave = Snapshot | { seq: number; objectsJson: string }

/**
 * The ordered, durable operation log of every canvas: the truth rooms are projections of.
 * Every implementation passes test/contract/opLog.contract.ts.
 *
 * [LOG1] seqs per canvas run 1, 2, 3… without gaps or repeats, also across restarts and trims.
 * [LOG2] append resolves only after the entries are durably committed; a rejected append stored nothing.
 * [LOG3] readAfter returns entries with seq > afterSeq in ascending order, at most `limit`.
 * [LOG4] headSeq is the highest committed seq (0 for a canvas with none), unaffected by trim.
 * [LOG5] appends that arrive together (same event-loop turn) may share one commit (group commit);
 *        each call still gets its own consecutive entries, in the order given.
 * [LOG6] trim(upTo) removes entries with seq <= upTo; firstSeq then says where reading can start.
 * [LOG7] the latest saved snapshot is returned by loadSnapshot; an older one never replaces a newer.
 * [LOG8] lastEdits gives, for each listed canvas with entries, its headSeq and the time (`at`) of
 *        its head entry (undefined once trimmed); canvases without entries are left out.
 */
export interface OpLog {
  append(canvasId: string, inputs: readonly OpInput[]): Promise<LogEntry[]>
  readAfter(canvasId: string, afterSeq: number, limit?: number): Promise<LogEntry[]>
  headSeq(canvasId: string): Promise<number>
  /** Where each canvas's log stands and when it last grew [LOG8]: the canvas list's "Edited …". */
  lastEdits(canvasIds: readonly string[]): Promise<Map<string, LastEdit>>
  /** The lowest seq still readable; headSeq + 1 when the log holds no entries for the canvas. */
  firstSeq(canvasId: string): Promise<number>
  saveSnapshot(canvasId: string, snapshot: SnapshotToSave): Promise<void>
  loadSnapshot(canvasId: string): Promise<Snapshot | undefined>
  trim(canvasId: string, upToSeq: number): Promise<number>
  close(): Promise<void>
}

import type { LogEntry } from '../core/room/logEntry.js'
import type { NewEvent } from './triggerStore.js'

/** The events one canvas's new log entries make for its owner (canvasEvents.ts). */
export type CanvasEventsOf = (ownerId: string, entries: readonly LogEntry[]) => NewEvent[]

/**
 * Where canvas events come from: the op log, read by a consumer that keeps its position per
 * canvas in the same database. Implemented by the store that shares the log's database.
 *
 * [CEV1] consumeCanvas reads entries after the canvas's position, stores their events and moves
 *        the position in one transaction: each entry yields exactly one event, across restarts
 *        and with several instances consuming at once.
 * [CEV2] canvasesBehind lists canvases whose log is ahead of their position and whose owner holds
 *        a live key; entries committed before the owner's first key make no events.
 */
export interface CanvasEventSource {
  canvasesBehind(limit: number): Promise<string[]>
  /** Resolves with how many log entries it consumed (0: nothing new). */
  consumeCanvas(canvasId: string, maxEntries: number, toEvents: CanvasEventsOf): Promise<number>
}

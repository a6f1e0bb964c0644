import { randomUUID } from 'node:crypto'
import type { LogEntry } from '../core/room/logEntry.js'
import type { NewEvent } from './triggerStore.js'

/** The canvas event types; lifecycle ones come from the HTTP routes, object ones from the log. */
export const CANVAS_EVENT_TYPES = [
  'canvas.object.created',
  'canvas.object.updated',
  'canvas.object.deleted',
  'canvas.created',
  'canvas.renamed',
  'canvas.shared',
  'canvas.deleted',
] as const
export type CanvasEventType = (typeof CANVAS_EVENT_TYPES)[number]

/**
 * One event per log entry, for the canvas's owner. The dedupId names the entry, so even a
 * position lost some other way could not make a second event of it; the order key keeps one
 * canvas's deliveries to an endpoint in seq order.
 */
export function canvasEventsOf(ownerId: string, entries: readonly LogEntry[]): NewEvent[] {
  return entries.map((entry) => {
    const base = {
      canvasId: entry.canvasId,
      seq: entry.seq,
      userId: entry.userId,
      at: new Date(entry.at).toISOString(),
    }
    const { op } = entry
    let type: CanvasEventType
    let payload: object
    switch (op.kind) {
      case 'create':
        type = 'canvas.object.created'
        payload = { ...base, objectId: op.object.id, object: op.object }
        break
      case 'update':
        type = 'canvas.object.updated'
        payload = { ...base, objectId: op.id, changes: op.changes }
        break
      case 'delete':
        type = 'canvas.object.deleted'
        payload = { ...base, objectId: op.id }
        break
      default:
        return op satisfies never
    }
    return {
      id: newEventId(),
      ownerId,
      type,
      payloadJson: JSON.stringify(payload),
      dedupId: `canvas:${entry.canvasId}:${entry.seq}`,
      orderKey: entry.canvasId,
      createdAt: entry.at,
    }
  })
}

export function newEventId(): string {
  return `evt_${randomUUID().replaceAll('-', '')}`
}

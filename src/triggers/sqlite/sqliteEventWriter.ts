import { randomUUID } from 'node:crypto'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { matchesEventType } from '../eventTypes.js'
import type { InsertedEvent, NewEvent } from '../triggerStore.js'

/**
 * Writes events and their pending deliveries, inside the caller's transaction [TRG1][TRG4]: on
 * the main thread for canvas events (with the consumer's position [CEV1]), in the event commit
 * worker for ingested ones (eventCommitWorker.ts).
 */
export function sqliteEventWriter(db: SqliteDb): (events: readonly NewEvent[]) => InsertedEvent[] {
  const dedup = db
    .prepare<[string, string], string>('SELECT id FROM trigger_events WHERE owner_id = ? AND dedup_id = ?')
    .pluck()
  const insertEvent = db.prepare<[string, string, string, string, string | null, number]>(
    `INSERT INTO trigger_events (id, owner_id, type, payload, dedup_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  )
  const enabledEndpoints = db.prepare<[string], { id: string; event_types: string }>(
    'SELECT id, event_types FROM webhook_endpoints WHERE owner_id = ? AND disabled_at IS NULL',
  )
  const insertDelivery = db.prepare<[string, string, number | bigint, string | null, number, number]>(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_pos, order_key, status, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
  )
  return (events) => {
    const endpointsOf = new Map<string, { id: string; types: string[] }[]>()
    const seen = new Map<string, string>()
    return events.map((event): InsertedEvent => {
      if (event.dedupId !== undefined) {
        const dedupKey = `${event.ownerId}\n${event.dedupId}`
        const earlier = seen.get(dedupKey) ?? dedup.get(event.ownerId, event.dedupId)
        if (earlier !== undefined) return { id: earlier, duplicate: true }
        seen.set(dedupKey, event.id)
      }
      const { lastInsertRowid } = insertEvent.run(
        event.id,
        event.ownerId,
        event.type,
        event.payloadJson,
        event.dedupId ?? null,
        event.createdAt,
      )
      let endpoints = endpointsOf.get(event.ownerId)
      if (endpoints === undefined) {
        endpoints = enabledEndpoints
          .all(event.ownerId)
          .map((r) => ({ id: r.id, types: JSON.parse(r.event_types) as string[] }))
        endpointsOf.set(event.ownerId, endpoints)
      }
      for (const endpoint of endpoints) {
        if (!matchesEventType(endpoint.types, event.type)) continue
        insertDelivery.run(
          randomUUID(),
          endpoint.id,
          lastInsertRowid,
          event.orderKey ?? null,
          event.createdAt,
          event.createdAt,
        )
      }
      return { id: event.id, duplicate: false }
    })
  }
}

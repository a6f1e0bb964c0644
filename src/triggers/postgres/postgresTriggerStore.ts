// Over 400 lines on purpose: one adapter of the one TriggerStore interface. Keys, events, inbox
// paging, endpoints, deliveries and canvas-event positions share transactions (canvas events and
// the consumer's log position commit together [CEV1]). It mirrors sqliteTriggerStore.ts method for
// method, so the two read side by side; test/contract/triggerStore.contract.ts holds both.
import { randomUUID } from 'node:crypto'
import type { LogEntry, Op } from '../../core/room/logEntry.js'
import { inTransaction } from '../../postgres/inTransaction.js'
import type { PgClient, PgPool } from '../../postgres/openPostgres.js'
import { pgGuarded } from '../../postgres/postgresErrors.js'
import type { CanvasEventSource, CanvasEventsOf } from '../canvasEventSource.js'
import { matchesEventType } from '../eventTypes.js'
import type { Tier } from '../tiers.js'
import type {
  ApiKeyRecord,
  ClaimedDelivery,
  DeliveryAttemptResult,
  DeliveryRecord,
  EventStatus,
  InboxPage,
  InboxQuery,
  InsertedEvent,
  NewEvent,
  StoredEvent,
  StoredQueueStats,
  TriggerStore,
  WebhookEndpoint,
} from '../triggerStore.js'

type Num = string | number

interface KeyRow {
  key_id: string
  user_id: string
  name: string
  prefix: string
  tier: Tier
  created_at: Num
  last_used_at: Num | null
  revoked_at: Num | null
}

interface EventRow {
  pos: Num
  id: string
  type: string
  payload: string
  status: EventStatus
  created_at: Num
}

interface EndpointRow {
  id: string
  owner_id: string
  url: string
  event_types: string
  secret: string
  previous_secret: string | null
  previous_secret_until: Num | null
  created_at: Num
  disabled_at: Num | null
  disabled_reason: string | null
}

interface ClaimRow extends EndpointRow {
  delivery_id: string
  attempts: number
  e_id: string
  e_type: string
  e_payload: string
  e_status: EventStatus
  e_created_at: Num
}

// BIGINT comes back from pg as a string; every value here is a Unix ms time or a position, far below 2^53.
const num = (v: Num): number => Number(v)
const numOrNull = (v: Num | null): number | null => (v === null ? null : Number(v))

const toKey = (r: KeyRow): ApiKeyRecord => ({
  keyId: r.key_id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  tier: r.tier,
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
  revokedAt: numOrNull(r.revoked_at),
})

const toEvent = (r: Omit<EventRow, 'pos'>): StoredEvent => ({
  id: r.id,
  type: r.type,
  payload: JSON.parse(r.payload) as unknown,
  status: r.status,
  createdAt: num(r.created_at),
})

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  ownerId: r.owner_id,
  url: r.url,
  eventTypes: JSON.parse(r.event_types) as string[],
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousSecretUntil: numOrNull(r.previous_secret_until),
  createdAt: num(r.created_at),
  disabledAt: numOrNull(r.disabled_at),
  disabledReason: r.disabled_reason,
})

const ENDPOINT_COLUMNS = `w.id, w.owner_id, w.url, w.event_types, w.secret, w.previous_secret,
  w.previous_secret_until, w.created_at, w.disabled_at, w.disabled_reason`

/** A delivery no earlier pending delivery of its endpoint and order key is ahead of [TRG5]. */
const FIRST_IN_ORDER = `(d.order_key IS NULL OR NOT EXISTS (
  SELECT 1 FROM webhook_deliveries o
  WHERE o.endpoint_id = d.endpoint_id AND o.order_key = d.order_key
    AND o.event_pos < d.event_pos AND o.status = 'pending'))`

/**
 * The Triggers API in PostgreSQL, shared by every instance with DATABASE_URL. Event positions
 * come from trigger_event_head, locked first in every transaction that stores events: such
 * transactions run one at a time, so positions commit in order [TRG2] and dedup checks see every
 * earlier event [TRG1]. Group commit is the caller's (EventIngestor), as for SQLite.
 */
export class PostgresTriggerStore implements TriggerStore, CanvasEventSource {
  constructor(private readonly pool: PgPool) {}

  private query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    return pgGuarded(async () => (await this.pool.query<R>(sql, params)).rows)
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return pgGuarded(async () => ((await this.pool.query(sql, params)).rowCount ?? 0) > 0)
  }

  async createKey(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'> & { hash: string }): Promise<void> {
    await this.query(
      `INSERT INTO api_keys (key_id, user_id, name, prefix, key_hash, tier, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [key.keyId, key.userId, key.name, key.prefix, key.hash, key.tier, key.createdAt],
    )
  }

  async listKeys(userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.query<KeyRow>(
      'SELECT * FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, key_id',
      [userId],
    )
    return rows.map(toKey)
  }

  async findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.query<KeyRow>(
      'SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [hash],
    )
    return row && toKey(row)
  }

  revokeKey(userId: string, keyId: string, at: number): Promise<boolean> {
    return this.changed(
      'UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND user_id = $3 AND revoked_at IS NULL',
      [at, keyId, userId],
    )
  }

  async setKeyTier(keyIdOrPrefix: string, tier: Tier): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.query<KeyRow>(
      'UPDATE api_keys SET tier = $1 WHERE key_id = $2 OR prefix = $2 RETURNING *',
      [tier, keyIdOrPrefix],
    )
    return row && toKey(row)
  }

  async touchKey(keyId: string, at: number): Promise<void> {
    await this.query(
      'UPDATE api_keys SET last_used_at = $1 WHERE key_id = $2 AND (last_used_at IS NULL OR last_used_at < $1)',
      [at, keyId],
    )
  }

  insertEvents(events: readonly NewEvent[]): Promise<InsertedEvent[]> {
    if (events.length === 0) return Promise.resolve([])
    return inTransaction(this.pool, (client) => this.writeEvents(client, events))
  }

  /** Inside a transaction: takes the head lock first, so dedup checks and positions see every earlier commit. */
  private async writeEvents(client: PgClient, events: readonly NewEvent[]): Promise<InsertedEvent[]> {
    const head = await client.query<{ pos: Num }>(
      'SELECT pos FROM trigger_event_head WHERE id = 1 FOR UPDATE',
    )
    let pos = num(head.rows[0]?.pos ?? 0)
    const withDedup = events.filter((e) => e.dedupId !== undefined)
    const earlier = new Map<string, string>()
    if (withDedup.length > 0) {
      const found = await client.query<{ owner_id: string; dedup_id: string; id: string }>(
        `SELECT owner_id, dedup_id, id FROM trigger_events
         WHERE (owner_id, dedup_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
        [withDedup.map((e) => e.ownerId), withDedup.map((e) => e.dedupId)],
      )
      for (const r of found.rows) earlier.set(`${r.owner_id}\n${r.dedup_id}`, r.id)
    }
    const rows: (NewEvent & { pos: number })[] = []
    const results = events.map((event): InsertedEvent => {
      if (event.dedupId !== undefined) {
        const key = `${event.ownerId}\n${event.dedupId}`
        const first = earlier.get(key)
        if (first !== undefined) return { id: first, duplicate: true }
        earlier.set(key, event.id)
      }
      pos += 1
      rows.push({ ...event, pos })
      return { id: event.id, duplicate: false }
    })
    if (rows.length === 0) return results
    await client.query(
      `INSERT INTO trigger_events (pos, id, owner_id, type, payload, dedup_id, created_at)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])`,
      [
        rows.map((r) => r.pos),
        rows.map((r) => r.id),
        rows.map((r) => r.ownerId),
        rows.map((r) => r.type),
        rows.map((r) => r.payloadJson),
        rows.map((r) => r.dedupId ?? null),
        rows.map((r) => r.createdAt),
      ],
    )
    await client.query('UPDATE trigger_event_head SET pos = $1 WHERE id = 1', [pos])
    const owners = [...new Set(rows.map((r) => r.ownerId))]
    const endpoints = await client.query<{ id: string; owner_id: string; event_types: string }>(
      'SELECT id, owner_id, event_types FROM webhook_endpoints WHERE owner_id = ANY($1) AND disabled_at IS NULL',
      [owners],
    )
    if (endpoints.rows.length === 0) return results
    const deliveries: { id: string; endpointId: string; pos: number; orderKey: string | null; at: number }[] =
      []
    for (const row of rows) {
      for (const e of endpoints.rows) {
        if (e.owner_id !== row.ownerId || !matchesEventType(JSON.parse(e.event_types) as string[], row.type))
          continue
        deliveries.push({
          id: randomUUID(),
          endpointId: e.id,
          pos: row.pos,
          orderKey: row.orderKey ?? null,
          at: row.createdAt,
        })
      }
    }
    if (deliveries.length > 0) {
      await client.query(
        `INSERT INTO webhook_deliveries (id, endpoint_id, event_pos, order_key, status, next_attempt_at, created_at)
         SELECT id, endpoint_id, event_pos, order_key, 'pending', at, at
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[])
           AS t(id, endpoint_id, event_pos, order_key, at)`,
        [
          deliveries.map((d) => d.id),
          deliveries.map((d) => d.endpointId),
          deliveries.map((d) => d.pos),
          deliveries.map((d) => d.orderKey),
          deliveries.map((d) => d.at),
        ],
      )
    }
    return results
  }

  async listEvents(ownerId: string, query: InboxQuery): Promise<InboxPage> {
    const where = ['owner_id = $1']
    const params: (string | number)[] = [ownerId]
    const add = (clause: string, value: string | number) => {
      params.push(value)
      where.push(clause.replace('?', `$${params.length}`))
    }
    if (query.type !== undefined) add('type = ?', query.type)
    if (query.status !== undefined) add('status = ?', query.status)
    if (query.since !== undefined) add('created_at >= ?', query.since)
    if (query.after !== undefined) add(query.order === 'asc' ? 'pos > ?' : 'pos < ?', query.after)
    params.push(query.limit + 1)
    const rows = await this.query<EventRow>(
      `SELECT pos, id, type, payload, status, created_at FROM trigger_events WHERE ${where.join(' AND ')}
       ORDER BY pos ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${params.length}`,
      params,
    )
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    return {
      events: page.map(toEvent),
      last: last === undefined ? undefined : num(last.pos),
      hasMore: rows.length > query.limit,
    }
  }

  ackEvent(ownerId: string, eventId: string, at: number): Promise<boolean> {
    return this.changed(
      `UPDATE trigger_events SET status = 'acked', acked_at = coalesce(acked_at, $1) WHERE id = $2 AND owner_id = $3`,
      [at, eventId, ownerId],
    )
  }

  async createEndpoint(
    e: Omit<WebhookEndpoint, 'previousSecret' | 'previousSecretUntil' | 'disabledAt' | 'disabledReason'>,
  ): Promise<void> {
    await this.query(
      'INSERT INTO webhook_endpoints (id, owner_id, url, event_types, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [e.id, e.ownerId, e.url, JSON.stringify(e.eventTypes), e.secret, e.createdAt],
    )
  }

  async listEndpoints(ownerId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.owner_id = $1 ORDER BY w.created_at, w.id`,
      [ownerId],
    )
    return rows.map(toEndpoint)
  }

  deleteEndpoint(ownerId: string, endpointId: string): Promise<boolean> {
    return this.changed('DELETE FROM webhook_endpoints WHERE id = $1 AND owner_id = $2', [
      endpointId,
      ownerId,
    ])
  }

  setEndpointTypes(ownerId: string, endpointId: string, eventTypes: readonly string[]): Promise<boolean> {
    return this.changed('UPDATE webhook_endpoints SET event_types = $1 WHERE id = $2 AND owner_id = $3', [
      JSON.stringify(eventTypes),
      endpointId,
      ownerId,
    ])
  }

  rotateSecret(ownerId: string, endpointId: string, secret: string, previousUntil: number): Promise<boolean> {
    return this.changed(
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $2, secret = $1
       WHERE id = $3 AND owner_id = $4`,
      [secret, previousUntil, endpointId, ownerId],
    )
  }

  enableEndpoint(ownerId: string, endpointId: string): Promise<boolean> {
    return this.changed(
      'UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL WHERE id = $1 AND owner_id = $2',
      [endpointId, ownerId],
    )
  }

  claimDeliveries(now: number, limit: number, leaseUntil: number): Promise<ClaimedDelivery[]> {
    return inTransaction(this.pool, async (client) => {
      // SKIP LOCKED: instances claiming at once take different deliveries instead of waiting.
      const { rows } = await client.query<ClaimRow>(
        `SELECT d.id AS delivery_id, d.attempts, e.id AS e_id, e.type AS e_type, e.payload AS e_payload,
                e.status AS e_status, e.created_at AS e_created_at, ${ENDPOINT_COLUMNS}
         FROM webhook_deliveries d
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         JOIN trigger_events e ON e.pos = d.event_pos
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.lease_until <= $1
           AND w.disabled_at IS NULL AND ${FIRST_IN_ORDER}
         ORDER BY d.next_attempt_at, d.event_pos
         LIMIT $2
         FOR UPDATE OF d SKIP LOCKED`,
        [now, limit],
      )
      if (rows.length > 0) {
        await client.query('UPDATE webhook_deliveries SET lease_until = $1 WHERE id = ANY($2)', [
          leaseUntil,
          rows.map((r) => r.delivery_id),
        ])
      }
      return rows.map((r): ClaimedDelivery => ({
        id: r.delivery_id,
        attempts: r.attempts,
        endpoint: toEndpoint(r),
        event: toEvent({
          id: r.e_id,
          type: r.e_type,
          payload: r.e_payload,
          status: r.e_status,
          created_at: r.e_created_at,
        }),
      }))
    })
  }

  async nextDueAt(): Promise<number | undefined> {
    const [row] = await this.query<{ due: Num | null }>(
      `SELECT min(greatest(d.next_attempt_at, d.lease_until)) AS due FROM webhook_deliveries d
       JOIN webhook_endpoints w ON w.id = d.endpoint_id
       WHERE d.status = 'pending' AND w.disabled_at IS NULL AND ${FIRST_IN_ORDER}`,
    )
    return row?.due === null || row === undefined ? undefined : num(row.due)
  }

  async recordAttempts(results: readonly DeliveryAttemptResult[]): Promise<void> {
    if (results.length === 0) return
    await inTransaction(this.pool, async (client) => {
      for (const r of results) {
        await client.query(
          `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
           SELECT $1, (SELECT count(*) FROM webhook_attempts WHERE delivery_id = $1) + 1, $2, $3, $4, $5
           FROM webhook_deliveries WHERE id = $1`,
          [r.deliveryId, r.at, r.statusCode, r.error, r.durationMs],
        )
        const { outcome } = r
        switch (outcome.kind) {
          case 'delivered':
            await this.finish(client, 'delivered', r.at, null, r.deliveryId)
            break
          case 'retry':
            await client.query(
              `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1, lease_until = 0, last_error = $2
               WHERE id = $3`,
              [outcome.nextAttemptAt, r.error, r.deliveryId],
            )
            break
          case 'dead':
          case 'gone':
            await this.finish(client, 'dead', r.at, r.error, r.deliveryId)
            await client.query(
              `UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2
               WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $3) AND disabled_at IS NULL`,
              [r.at, outcome.disableReason, r.deliveryId],
            )
            break
          default:
            outcome satisfies never
        }
      }
    })
  }

  private async finish(
    client: PgClient,
    status: string,
    at: number,
    error: string | null,
    id: string,
  ): Promise<void> {
    await client.query(
      `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, finished_at = $2, next_attempt_at = NULL,
         lease_until = 0, last_error = $3 WHERE id = $4`,
      [status, at, error, id],
    )
  }

  async listDeliveries(ownerId: string, eventId: string): Promise<DeliveryRecord[] | undefined> {
    const [event] = await this.query<{ pos: Num }>(
      'SELECT pos FROM trigger_events WHERE id = $1 AND owner_id = $2',
      [eventId, ownerId],
    )
    if (event === undefined) return undefined
    const rows = await this.query<{
      id: string
      endpoint_id: string
      status: DeliveryRecord['status']
      attempts: number
      next_attempt_at: Num | null
      last_error: string | null
      log: { at: Num; status_code: number | null; error: string | null; duration_ms: Num }[] | null
    }>(
      `SELECT d.id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.last_error,
              (SELECT json_agg(a ORDER BY a.attempt) FROM webhook_attempts a WHERE a.delivery_id = d.id) AS log
       FROM webhook_deliveries d WHERE d.event_pos = $1 ORDER BY d.created_at, d.id`,
      [event.pos],
    )
    return rows.map((d) => ({
      id: d.id,
      endpointId: d.endpoint_id,
      eventId,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: numOrNull(d.next_attempt_at),
      lastError: d.last_error,
      attemptLog: (d.log ?? []).map((a) => ({
        at: num(a.at),
        statusCode: a.status_code,
        error: a.error,
        durationMs: num(a.duration_ms),
      })),
    }))
  }

  replayDelivery(ownerId: string, deliveryId: string, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const replayed = await client.query(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = 0,
           finished_at = NULL
         WHERE id = $2 AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE owner_id = $3)`,
        [now, deliveryId, ownerId],
      )
      if ((replayed.rowCount ?? 0) === 0) return false
      await client.query(
        `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL
         WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $1)`,
        [deliveryId],
      )
      return true
    })
  }

  async stats(ownerId: string | undefined, now: number): Promise<StoredQueueStats> {
    const deliveries = { pending: 0, delivered: 0, failed: 0, dead: 0 }
    let deliveriesLastMinute = 0
    const counts = await this.query<{
      status: keyof typeof deliveries
      failed: boolean
      n: Num
      recent: Num | null
    }>(
      `SELECT d.status, (d.status = 'pending' AND d.attempts > 0) AS failed, count(*) AS n,
              count(*) FILTER (WHERE d.finished_at >= $2) AS recent
       FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
       WHERE $1::text IS NULL OR w.owner_id = $1
       GROUP BY 1, 2`,
      [ownerId ?? null, now - 60_000],
    )
    for (const row of counts) {
      deliveries[row.status] += num(row.n)
      if (row.failed) deliveries.failed += num(row.n)
      deliveriesLastMinute += num(row.recent ?? 0)
    }
    const [events] = await this.query<{ pending: Num; acked: Num; oldest: Num | null }>(
      `SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'acked') AS acked,
              min(created_at) FILTER (WHERE status = 'pending') AS oldest
       FROM trigger_events WHERE $1::text IS NULL OR owner_id = $1`,
      [ownerId ?? null],
    )
    return {
      pending: num(events?.pending ?? 0),
      acked: num(events?.acked ?? 0),
      deliveries,
      oldestPendingAt: events?.oldest === null || events === undefined ? undefined : num(events.oldest),
      deliveriesLastMinute,
    }
  }

  async canvasesBehind(limit: number): Promise<string[]> {
    const rows = await this.query<{ canvas_id: string }>(
      `SELECT h.canvas_id FROM op_log_heads h
       JOIN canvases c ON c.id = h.canvas_id
       LEFT JOIN canvas_event_positions p ON p.canvas_id = h.canvas_id
       WHERE h.head_seq > coalesce(p.seq, 0)
         AND EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = c.owner_id AND k.revoked_at IS NULL)
       LIMIT $1`,
      [limit],
    )
    return rows.map((r) => r.canvas_id)
  }

  consumeCanvas(canvasId: string, maxEntries: number, toEvents: CanvasEventsOf): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const canvas = await client.query<{ owner_id: string; since: Num | null }>(
        `SELECT c.owner_id, (SELECT min(k.created_at) FROM api_keys k WHERE k.user_id = c.owner_id) AS since
         FROM canvases c WHERE c.id = $1`,
        [canvasId],
      )
      const owner = canvas.rows[0]
      if (owner === undefined) return 0
      // The position row, locked: a second consumer of this canvas waits here, then starts where
      // this one left off [CEV1].
      await client.query(
        'INSERT INTO canvas_event_positions (canvas_id, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING',
        [canvasId],
      )
      const position = await client.query<{ seq: Num }>(
        'SELECT seq FROM canvas_event_positions WHERE canvas_id = $1 FOR UPDATE',
        [canvasId],
      )
      const from = num(position.rows[0]?.seq ?? 0)
      const { rows } = await client.query<{ seq: Num; op_id: string; user_id: string; at: Num; op: string }>(
        'SELECT seq, op_id, user_id, at, op FROM op_log WHERE canvas_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [canvasId, from, maxEntries],
      )
      const last = rows.at(-1)
      if (last === undefined) return 0
      const since = owner.since === null ? Number.POSITIVE_INFINITY : num(owner.since)
      const entries = rows
        .filter((r) => num(r.at) >= since)
        .map((r): LogEntry => ({
          canvasId,
          seq: num(r.seq),
          opId: r.op_id,
          userId: r.user_id,
          at: num(r.at),
          op: JSON.parse(r.op) as Op,
        }))
      const events = toEvents(owner.owner_id, entries)
      if (events.length > 0) await this.writeEvents(client, events)
      await client.query('UPDATE canvas_event_positions SET seq = $1 WHERE canvas_id = $2', [
        num(last.seq),
        canvasId,
      ])
      return rows.length
    })
  }

  /** The pool belongs to whoever opened it. */
  close(): Promise<void> {
    return Promise.resolve()
  }
}

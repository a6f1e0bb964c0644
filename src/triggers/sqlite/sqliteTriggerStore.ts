// Over 400 lines on purpose: one adapter of the one TriggerStore interface. Keys, events, inbox
// paging, endpoints, deliveries and canvas-event positions share transactions (canvas events and
// the consumer's log position commit together [CEV1]). It mirrors postgresTriggerStore.ts method for
// method, so the two read side by side; test/contract/triggerStore.contract.ts holds both.
import type Database from 'better-sqlite3'
import type { LogEntry, Op } from '../../core/room/logEntry.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { toStorageError } from '../../sqlite/sqliteErrors.js'
import { WriteLockGate } from '../../sqlite/writeLockGate.js'
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
  StoredQueueStats,
  StoredEvent,
  TriggerStore,
  WebhookEndpoint,
} from '../triggerStore.js'
import type { CanvasEventSource, CanvasEventsOf } from '../canvasEventSource.js'
import { SqliteEventCommitter, type SqliteEventCommitterOptions } from './sqliteEventCommitter.js'
import { sqliteEventWriter } from './sqliteEventWriter.js'

interface KeyRow {
  key_id: string
  user_id: string
  name: string
  prefix: string
  tier: Tier
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

interface EventRow {
  pos: number
  id: string
  type: string
  payload: string
  status: EventStatus
  created_at: number
}

interface EndpointRow {
  id: string
  owner_id: string
  url: string
  event_types: string
  secret: string
  previous_secret: string | null
  previous_secret_until: number | null
  created_at: number
  disabled_at: number | null
  disabled_reason: string | null
}

interface ClaimRow extends EndpointRow {
  delivery_id: string
  attempts: number
  e_id: string
  e_type: string
  e_payload: string
  e_status: EventStatus
  e_created_at: number
}

const toKey = (r: KeyRow): ApiKeyRecord => ({
  keyId: r.key_id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  tier: r.tier,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
})

const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id,
  type: r.type,
  payload: JSON.parse(r.payload) as unknown,
  status: r.status,
  createdAt: r.created_at,
})

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  ownerId: r.owner_id,
  url: r.url,
  eventTypes: JSON.parse(r.event_types) as string[],
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousSecretUntil: r.previous_secret_until,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
  disabledReason: r.disabled_reason,
})

/** A delivery no earlier pending delivery of its endpoint and order key is ahead of [TRG5]. */
const FIRST_IN_ORDER = `(d.order_key IS NULL OR NOT EXISTS (
  SELECT 1 FROM webhook_deliveries o
  WHERE o.endpoint_id = d.endpoint_id AND o.order_key = d.order_key
    AND o.event_pos < d.event_pos AND o.status = 'pending'))`

const ENDPOINT_COLUMNS = `w.id, w.owner_id, w.url, w.event_types, w.secret, w.previous_secret,
  w.previous_secret_until, w.created_at, w.disabled_at, w.disabled_reason`

export interface SqliteTriggerStoreOptions {
  /**
   * The file's write-lock handshake, shared with the op log: the store's main-thread writes take
   * it too, so they never sleep in SQLite's busy handler behind a worker. Made here when absent.
   */
  writeGate?: WriteLockGate
  /** Ingested events are committed in a worker thread (sqliteEventCommitter.ts); else on this one. */
  eventWorker?: SqliteEventCommitterOptions
}

/**
 * The Triggers API in the SQLite database the store and the log live in. Synchronous underneath
 * (better-sqlite3), so one transaction is one call; group commit is the caller's (Triggers
 * batches a turn's events into one insertEvents), and with `eventWorker` those commits run in a
 * worker thread. Sharing the log's file lets the canvas event consumer read the log and write
 * events and its position in one transaction [CEV1].
 */
export class SqliteTriggerStore implements TriggerStore, CanvasEventSource {
  private readonly s
  private readonly gate: WriteLockGate
  private readonly committer: SqliteEventCommitter | undefined
  private readonly writeEvents: (events: readonly NewEvent[]) => InsertedEvent[]
  private readonly insertTx: Database.Transaction<(events: readonly NewEvent[]) => InsertedEvent[]>
  private readonly claimTx: Database.Transaction<
    (now: number, limit: number, leaseUntil: number) => ClaimedDelivery[]
  >
  private readonly recordTx: Database.Transaction<(results: readonly DeliveryAttemptResult[]) => void>
  private readonly consumeTx: Database.Transaction<
    (canvasId: string, maxEntries: number, toEvents: CanvasEventsOf) => number
  >

  constructor(
    private readonly db: SqliteDb,
    options: SqliteTriggerStoreOptions = {},
  ) {
    this.gate = options.writeGate ?? new WriteLockGate()
    this.committer = options.eventWorker && new SqliteEventCommitter(db.name, this.gate, options.eventWorker)
    this.writeEvents = sqliteEventWriter(db)
    this.s = {
      insertKey: db.prepare(
        `INSERT INTO api_keys (key_id, user_id, name, prefix, key_hash, tier, created_at)
         VALUES (@keyId, @userId, @name, @prefix, @hash, @tier, @createdAt)`,
      ),
      listKeys: db.prepare<[string], KeyRow>(
        'SELECT * FROM api_keys WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, key_id',
      ),
      keyByHash: db.prepare<[string], KeyRow>(
        'SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL',
      ),
      revokeKey: db.prepare<[number, string, string]>(
        'UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND user_id = ? AND revoked_at IS NULL',
      ),
      setTier: db.prepare<[string, string, string], KeyRow>(
        'UPDATE api_keys SET tier = ? WHERE key_id = ? OR prefix = ? RETURNING *',
      ),
      touchKey: db.prepare<[number, string, number]>(
        'UPDATE api_keys SET last_used_at = ? WHERE key_id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
      ),
      ack: db.prepare<[number, string, string]>(
        `UPDATE trigger_events SET status = 'acked', acked_at = coalesce(acked_at, ?)
         WHERE id = ? AND owner_id = ?`,
      ),
      insertEndpoint: db.prepare(
        `INSERT INTO webhook_endpoints (id, owner_id, url, event_types, secret, created_at)
         VALUES (@id, @ownerId, @url, @eventTypes, @secret, @createdAt)`,
      ),
      listEndpoints: db.prepare<[string], EndpointRow>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.owner_id = ? ORDER BY w.created_at, w.id`,
      ),
      deleteEndpoint: db.prepare<[string, string]>(
        'DELETE FROM webhook_endpoints WHERE id = ? AND owner_id = ?',
      ),
      setTypes: db.prepare<[string, string, string]>(
        'UPDATE webhook_endpoints SET event_types = ? WHERE id = ? AND owner_id = ?',
      ),
      rotate: db.prepare<[{ secret: string; until: number; id: string; ownerId: string }]>(
        `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = @until, secret = @secret
         WHERE id = @id AND owner_id = @ownerId`,
      ),
      enable: db.prepare<[string, string]>(
        'UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL WHERE id = ? AND owner_id = ?',
      ),
      disable: db.prepare<[number, string, string]>(
        `UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?
         WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?) AND disabled_at IS NULL`,
      ),
      // Due, leased by nobody, endpoint enabled, and first of its order key [TRG5].
      claim: db.prepare<[{ now: number; limit: number }], ClaimRow>(
        `SELECT d.id AS delivery_id, d.attempts, e.id AS e_id, e.type AS e_type, e.payload AS e_payload,
                e.status AS e_status, e.created_at AS e_created_at, ${ENDPOINT_COLUMNS}
         FROM webhook_deliveries d
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         JOIN trigger_events e ON e.pos = d.event_pos
         WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND d.lease_until <= @now
           AND w.disabled_at IS NULL AND ${FIRST_IN_ORDER}
         ORDER BY d.next_attempt_at, d.event_pos
         LIMIT @limit`,
      ),
      lease: db.prepare<[number, string]>('UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?'),
      nextDue: db
        .prepare<[], number | null>(
          `SELECT min(max(d.next_attempt_at, d.lease_until)) FROM webhook_deliveries d
           JOIN webhook_endpoints w ON w.id = d.endpoint_id
           WHERE d.status = 'pending' AND w.disabled_at IS NULL AND ${FIRST_IN_ORDER}`,
        )
        .pluck(),
      attempt: db.prepare<
        [{ id: string; at: number; statusCode: number | null; error: string | null; durationMs: number }]
      >(
        `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
         SELECT @id, (SELECT count(*) FROM webhook_attempts WHERE delivery_id = @id) + 1, @at, @statusCode,
                @error, @durationMs
         FROM webhook_deliveries WHERE id = @id`,
      ),
      finish: db.prepare<[string, number, string | null, string]>(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, finished_at = ?,
           next_attempt_at = NULL, lease_until = 0, last_error = ? WHERE id = ?`,
      ),
      retry: db.prepare<[number, string | null, string]>(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, lease_until = 0,
           last_error = ? WHERE id = ?`,
      ),
      eventPos: db
        .prepare<[string, string], number>('SELECT pos FROM trigger_events WHERE id = ? AND owner_id = ?')
        .pluck(),
      deliveriesOf: db.prepare<
        [number],
        {
          id: string
          endpoint_id: string
          status: string
          attempts: number
          next_attempt_at: number | null
          last_error: string | null
        }
      >(
        `SELECT id, endpoint_id, status, attempts, next_attempt_at, last_error FROM webhook_deliveries
         WHERE event_pos = ? ORDER BY created_at, id`,
      ),
      attemptsOf: db.prepare<
        [string],
        { at: number; status_code: number | null; error: string | null; duration_ms: number }
      >(
        'SELECT at, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt',
      ),
      replay: db.prepare<[number, string, string]>(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = 0,
           finished_at = NULL
         WHERE id = ? AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE owner_id = ?)`,
      ),
      enableOf: db.prepare<[string]>(
        `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL
         WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?)`,
      ),
      countEvents: db
        .prepare<[string, string], number>(
          'SELECT count(*) FROM trigger_events WHERE owner_id = ? AND status = ?',
        )
        .pluck(),
      countAllEvents: db
        .prepare<[string], number>('SELECT count(*) FROM trigger_events WHERE status = ?')
        .pluck(),
      oldestPending: db
        .prepare<[string], number>(
          `SELECT created_at FROM trigger_events WHERE owner_id = ? AND status = 'pending' ORDER BY pos LIMIT 1`,
        )
        .pluck(),
      oldestPendingAll: db
        .prepare<[], number | null>(`SELECT min(created_at) FROM trigger_events WHERE status = 'pending'`)
        .pluck(),
      deliveryCounts: db.prepare<
        [{ ownerId: string | null; since: number }],
        { status: string; failed: number; n: number; recent: number | null }
      >(
        `SELECT d.status, (d.status = 'pending' AND d.attempts > 0) AS failed, count(*) AS n,
                sum(d.finished_at >= @since) AS recent
         FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
         WHERE @ownerId IS NULL OR w.owner_id = @ownerId
         GROUP BY 1, 2`,
      ),
      position: db
        .prepare<[string], number>('SELECT seq FROM canvas_event_positions WHERE canvas_id = ?')
        .pluck(),
      canvasOwner: db.prepare<[string], { owner_id: string; since: number | null }>(
        `SELECT c.owner_id, (SELECT min(k.created_at) FROM api_keys k WHERE k.user_id = c.owner_id) AS since
           FROM canvases c WHERE c.id = ?`,
      ),
      entriesAfter: db.prepare<
        [string, number, number],
        { seq: number; op_id: string; user_id: string; at: number; op: string }
      >(
        'SELECT seq, op_id, user_id, at, op FROM op_log WHERE canvas_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      setPosition: db.prepare<[string, number]>(
        `INSERT INTO canvas_event_positions (canvas_id, seq) VALUES (?, ?)
         ON CONFLICT (canvas_id) DO UPDATE SET seq = excluded.seq`,
      ),
      // Canvases of owners holding a live key whose log is ahead of the consumer.
      behind: db
        .prepare<[number], string>(
          `SELECT h.canvas_id FROM op_log_heads h
         JOIN canvases c ON c.id = h.canvas_id
         LEFT JOIN canvas_event_positions p ON p.canvas_id = h.canvas_id
         WHERE h.head_seq > coalesce(p.seq, 0)
           AND EXISTS (SELECT 1 FROM api_keys k WHERE k.user_id = c.owner_id AND k.revoked_at IS NULL)
         LIMIT ?`,
        )
        .pluck(),
    }
    this.insertTx = db.transaction((events: readonly NewEvent[]) => this.writeEvents(events))
    this.claimTx = db.transaction((now: number, limit: number, leaseUntil: number) => {
      const rows = this.s.claim.all({ now, limit })
      for (const r of rows) this.s.lease.run(leaseUntil, r.delivery_id)
      return rows.map((r): ClaimedDelivery => ({
        id: r.delivery_id,
        attempts: r.attempts,
        endpoint: toEndpoint(r),
        event: toEvent({
          pos: 0,
          id: r.e_id,
          type: r.e_type,
          payload: r.e_payload,
          status: r.e_status,
          created_at: r.e_created_at,
        }),
      }))
    })
    this.recordTx = db.transaction((results: readonly DeliveryAttemptResult[]) => {
      for (const r of results) {
        this.s.attempt.run({
          id: r.deliveryId,
          at: r.at,
          statusCode: r.statusCode,
          error: r.error,
          durationMs: r.durationMs,
        })
        const { outcome } = r
        switch (outcome.kind) {
          case 'delivered':
            this.s.finish.run('delivered', r.at, null, r.deliveryId)
            break
          case 'retry':
            this.s.retry.run(outcome.nextAttemptAt, r.error, r.deliveryId)
            break
          case 'dead':
          case 'gone':
            this.s.finish.run('dead', r.at, r.error, r.deliveryId)
            this.s.disable.run(r.at, outcome.disableReason, r.deliveryId)
            break
          default:
            outcome satisfies never
        }
      }
    })
    this.consumeTx = db.transaction((canvasId: string, maxEntries: number, toEvents: CanvasEventsOf) =>
      this.consumeInTx(canvasId, maxEntries, toEvents),
    )
  }

  private consumeInTx(canvasId: string, maxEntries: number, toEvents: CanvasEventsOf): number {
    const canvas = this.s.canvasOwner.get(canvasId)
    if (canvas === undefined) return 0
    const position = this.s.position.get(canvasId) ?? 0
    const rows = this.s.entriesAfter.all(canvasId, position, maxEntries)
    const last = rows.at(-1)
    if (last === undefined) return 0
    // Only changes made once the owner had a key: a first key does not replay a canvas's history.
    const since = canvas.since ?? Number.POSITIVE_INFINITY
    const entries = rows
      .filter((r) => r.at >= since)
      .map((r): LogEntry => ({
        canvasId,
        seq: r.seq,
        opId: r.op_id,
        userId: r.user_id,
        at: r.at,
        op: JSON.parse(r.op) as Op,
      }))
    this.writeEvents(toEvents(canvas.owner_id, entries))
    this.s.setPosition.run(canvasId, last.seq)
    return rows.length
  }

  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work())
    } catch (err) {
      return Promise.reject(toStorageError(err))
    }
  }

  /** A write transaction on this thread: after any worker holding the write lock is done. */
  private write<T>(work: () => T): Promise<T> {
    return this.gate.run(work).catch((err: unknown) => Promise.reject(toStorageError(err)))
  }

  /** Resolves once the event commit worker has its connection open (at once without one). */
  async eventWorkerStarted(): Promise<void> {
    await this.committer?.started()
  }

  /** Ends the event commit worker as a crash would (tests of its restart). */
  async crashEventWorker(): Promise<void> {
    await this.committer?.crashWorker()
  }

  createKey(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'> & { hash: string }): Promise<void> {
    return this.write(() => {
      this.s.insertKey.run(key)
    })
  }

  listKeys(userId: string): Promise<ApiKeyRecord[]> {
    return this.run(() => this.s.listKeys.all(userId).map(toKey))
  }

  findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.run(() => {
      const row = this.s.keyByHash.get(hash)
      return row && toKey(row)
    })
  }

  revokeKey(userId: string, keyId: string, at: number): Promise<boolean> {
    return this.write(() => this.s.revokeKey.run(at, keyId, userId).changes > 0)
  }

  setKeyTier(keyIdOrPrefix: string, tier: Tier): Promise<ApiKeyRecord | undefined> {
    return this.write(() => {
      const row = this.s.setTier.get(tier, keyIdOrPrefix, keyIdOrPrefix)
      return row && toKey(row)
    })
  }

  touchKey(keyId: string, at: number): Promise<void> {
    return this.write(() => {
      this.s.touchKey.run(at, keyId, at)
    })
  }

  insertEvents(events: readonly NewEvent[]): Promise<InsertedEvent[]> {
    if (events.length === 0) return Promise.resolve([])
    if (this.committer !== undefined) return this.committer.commit(events)
    return this.write(() => this.insertTx.immediate(events))
  }

  listEvents(ownerId: string, query: InboxQuery): Promise<InboxPage> {
    return this.run(() => {
      const where = ['owner_id = ?']
      const params: (string | number)[] = [ownerId]
      if (query.type !== undefined) {
        where.push('type = ?')
        params.push(query.type)
      }
      if (query.status !== undefined) {
        where.push('status = ?')
        params.push(query.status)
      }
      if (query.since !== undefined) {
        where.push('created_at >= ?')
        params.push(query.since)
      }
      if (query.after !== undefined) {
        where.push(query.order === 'asc' ? 'pos > ?' : 'pos < ?')
        params.push(query.after)
      }
      const rows = this.db
        .prepare<(string | number)[], EventRow>(
          `SELECT pos, id, type, payload, status, created_at FROM trigger_events WHERE ${where.join(' AND ')}
           ORDER BY pos ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
        )
        .all(...params, query.limit + 1)
      const page = rows.slice(0, query.limit)
      return { events: page.map(toEvent), last: page.at(-1)?.pos, hasMore: rows.length > query.limit }
    })
  }

  ackEvent(ownerId: string, eventId: string, at: number): Promise<boolean> {
    return this.write(() => this.s.ack.run(at, eventId, ownerId).changes > 0)
  }

  createEndpoint(
    endpoint: Omit<
      WebhookEndpoint,
      'previousSecret' | 'previousSecretUntil' | 'disabledAt' | 'disabledReason'
    >,
  ): Promise<void> {
    return this.write(() => {
      this.s.insertEndpoint.run({ ...endpoint, eventTypes: JSON.stringify(endpoint.eventTypes) })
    })
  }

  listEndpoints(ownerId: string): Promise<WebhookEndpoint[]> {
    return this.run(() => this.s.listEndpoints.all(ownerId).map(toEndpoint))
  }

  deleteEndpoint(ownerId: string, endpointId: string): Promise<boolean> {
    return this.write(() => this.s.deleteEndpoint.run(endpointId, ownerId).changes > 0)
  }

  setEndpointTypes(ownerId: string, endpointId: string, eventTypes: readonly string[]): Promise<boolean> {
    return this.write(() => this.s.setTypes.run(JSON.stringify(eventTypes), endpointId, ownerId).changes > 0)
  }

  rotateSecret(ownerId: string, endpointId: string, secret: string, previousUntil: number): Promise<boolean> {
    return this.write(
      () => this.s.rotate.run({ secret, until: previousUntil, id: endpointId, ownerId }).changes > 0,
    )
  }

  enableEndpoint(ownerId: string, endpointId: string): Promise<boolean> {
    return this.write(() => this.s.enable.run(endpointId, ownerId).changes > 0)
  }

  claimDeliveries(now: number, limit: number, leaseUntil: number): Promise<ClaimedDelivery[]> {
    return this.write(() => this.claimTx.immediate(now, limit, leaseUntil))
  }

  nextDueAt(): Promise<number | undefined> {
    return this.run(() => this.s.nextDue.get() ?? undefined)
  }

  recordAttempts(results: readonly DeliveryAttemptResult[]): Promise<void> {
    if (results.length === 0) return Promise.resolve()
    return this.write(() => this.recordTx.immediate(results))
  }

  listDeliveries(ownerId: string, eventId: string): Promise<DeliveryRecord[] | undefined> {
    return this.run(() => {
      const pos = this.s.eventPos.get(eventId, ownerId)
      if (pos === undefined) return undefined
      return this.s.deliveriesOf.all(pos).map((d): DeliveryRecord => ({
        id: d.id,
        endpointId: d.endpoint_id,
        eventId,
        status: d.status as DeliveryRecord['status'],
        attempts: d.attempts,
        nextAttemptAt: d.next_attempt_at,
        lastError: d.last_error,
        attemptLog: this.s.attemptsOf.all(d.id).map((a) => ({
          at: a.at,
          statusCode: a.status_code,
          error: a.error,
          durationMs: a.duration_ms,
        })),
      }))
    })
  }

  replayDelivery(ownerId: string, deliveryId: string, now: number): Promise<boolean> {
    return this.write(() =>
      this.db
        .transaction(() => {
          if (this.s.replay.run(now, deliveryId, ownerId).changes === 0) return false
          this.s.enableOf.run(deliveryId)
          return true
        })
        .immediate(),
    )
  }

  stats(ownerId: string | undefined, now: number): Promise<StoredQueueStats> {
    return this.run(() => {
      const deliveries = { pending: 0, delivered: 0, failed: 0, dead: 0 }
      let deliveriesLastMinute = 0
      for (const row of this.s.deliveryCounts.all({ ownerId: ownerId ?? null, since: now - 60_000 })) {
        const status = row.status as keyof typeof deliveries
        deliveries[status] += row.n
        if (row.failed) deliveries.failed += row.n
        deliveriesLastMinute += row.recent ?? 0
      }
      const count = (status: EventStatus) =>
        ownerId === undefined
          ? (this.s.countAllEvents.get(status) ?? 0)
          : (this.s.countEvents.get(ownerId, status) ?? 0)
      const oldest = ownerId === undefined ? this.s.oldestPendingAll.get() : this.s.oldestPending.get(ownerId)
      return {
        pending: count('pending'),
        acked: count('acked'),
        deliveries,
        oldestPendingAt: oldest ?? undefined,
        deliveriesLastMinute,
      }
    })
  }

  canvasesBehind(limit: number): Promise<string[]> {
    return this.run(() => this.s.behind.all(limit))
  }

  consumeCanvas(canvasId: string, maxEntries: number, toEvents: CanvasEventsOf): Promise<number> {
    return this.write(() => this.consumeTx.immediate(canvasId, maxEntries, toEvents))
  }

  /** Stops the event commit worker; the connection belongs to whoever opened it. */
  async close(): Promise<void> {
    await this.committer?.stop()
  }
}

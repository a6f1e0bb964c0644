import type { Tier } from './tiers.js'

export interface ApiKeyRecord {
  keyId: string
  userId: string
  name: string
  prefix: string
  tier: Tier
  /** Unix ms. */
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

export type EventStatus = 'pending' | 'acked'

export interface NewEvent {
  id: string
  ownerId: string
  type: string
  /** The payload as JSON text, checked and measured at the edge. */
  payloadJson: string
  dedupId?: string
  /** Canvas events: deliveries of one canvas to one endpoint go in order. */
  orderKey?: string
  createdAt: number
}

/** What an insert did: stored the event, or found an earlier one with the same dedupId. */
export interface InsertedEvent {
  id: string
  duplicate: boolean
}

export interface StoredEvent {
  id: string
  type: string
  payload: unknown
  status: EventStatus
  createdAt: number
}

export interface InboxQuery {
  type?: string
  status?: EventStatus
  /** Unix ms: events created at or after. */
  since?: number
  limit: number
  order: 'asc' | 'desc'
  /** The position after which (asc) or before which (desc) the page starts. */
  after?: number
}

export interface InboxPage {
  events: StoredEvent[]
  /**
   * The position of the page's last event (undefined for an empty page): where the next page
   * starts, also after the last page, so a poller can keep asking from there for what comes.
   */
  last: number | undefined
  /** Whether more events matched right now beyond this page. */
  hasMore: boolean
}

export interface WebhookEndpoint {
  id: string
  ownerId: string
  url: string
  /** Empty: every type. */
  eventTypes: string[]
  secret: string
  /** The secret before the latest rotation, valid until `previousSecretUntil`. */
  previousSecret: string | null
  previousSecretUntil: number | null
  createdAt: number
  disabledAt: number | null
  disabledReason: string | null
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead'

/** A delivery claimed by a worker: due, its endpoint enabled, first in its order. */
export interface ClaimedDelivery {
  id: string
  endpoint: WebhookEndpoint
  event: StoredEvent
  /** Attempts already made (0 for the first). */
  attempts: number
}

export interface DeliveryAttemptResult {
  deliveryId: string
  at: number
  /** HTTP status, or null when no response came (refused, timed out, network error). */
  statusCode: number | null
  error: string | null
  durationMs: number
  /** What happens next. */
  outcome:
    | { kind: 'delivered' }
    | { kind: 'retry'; nextAttemptAt: number }
    | { kind: 'dead'; disableReason: string }
    | { kind: 'gone'; disableReason: string }
}

export interface DeliveryRecord {
  id: string
  endpointId: string
  eventId: string
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: number | null
  lastError: string | null
  attemptLog: { at: number; statusCode: number | null; error: string | null; durationMs: number }[]
}

/** The store's part of the stats; the ingest rate is counted in memory (EventIngestor). */
export type StoredQueueStats = Omit<QueueStats, 'eventsLastMinute'>

export interface QueueStats {
  pending: number
  acked: number
  /** Webhook deliveries, by state; `failed`: pending deliveries that failed at least once. */
  deliveries: { pending: number; delivered: number; failed: number; dead: number }
  /** Unix ms of the oldest pending event (undefined when none). */
  oldestPendingAt: number | undefined
  /** Events created and deliveries made in the last minute. */
  eventsLastMinute: number
  deliveriesLastMinute: number
}

/**
 * Where the Triggers API keeps keys, events, webhook endpoints and deliveries. Every
 * implementation passes test/contract/triggerStore.contract.ts.
 *
 * [TRG1] insertEvents stores all its events in one transaction, or none (group commit), and
 *        resolves only after commit; an event whose (ownerId, dedupId) exists already is not
 *        stored again: its result is the first event's id with `duplicate: true`.
 * [TRG2] events get positions in commit order: a reader paging with `after` never misses an event
 *        committed later (no gaps) nor sees one twice, whatever commits concurrently.
 * [TRG3] listEvents and ackEvent only ever see the owner's own events.
 * [TRG4] an inserted event gets a pending delivery, in the same transaction, for every enabled
 *        endpoint of its owner whose filter matches its type.
 * [TRG5] claimDeliveries never hands out a delivery whose lease is live, a delivery of a disabled
 *        endpoint, nor one ordered after another pending delivery of the same endpoint and order key.
 * [TRG6] a revoked key is never found by its hash.
 */
export interface TriggerStore {
  createKey(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'> & { hash: string }): Promise<void>
  listKeys(userId: string): Promise<ApiKeyRecord[]>
  findKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>
  revokeKey(userId: string, keyId: string, at: number): Promise<boolean>
  /** The operator's command: by key id or visible prefix. */
  setKeyTier(keyIdOrPrefix: string, tier: Tier): Promise<ApiKeyRecord | undefined>
  touchKey(keyId: string, at: number): Promise<void>

  insertEvents(events: readonly NewEvent[]): Promise<InsertedEvent[]>
  listEvents(ownerId: string, query: InboxQuery): Promise<InboxPage>
  ackEvent(ownerId: string, eventId: string, at: number): Promise<boolean>

  createEndpoint(
    endpoint: Omit<
      WebhookEndpoint,
      'previousSecret' | 'previousSecretUntil' | 'disabledAt' | 'disabledReason'
    >,
  ): Promise<void>
  listEndpoints(ownerId: string): Promise<WebhookEndpoint[]>
  deleteEndpoint(ownerId: string, endpointId: string): Promise<boolean>
  setEndpointTypes(ownerId: string, endpointId: string, eventTypes: readonly string[]): Promise<boolean>
  rotateSecret(ownerId: string, endpointId: string, secret: string, previousUntil: number): Promise<boolean>
  /** Enables it again (after a 410 or the dead letter of one of its deliveries). */
  enableEndpoint(ownerId: string, endpointId: string): Promise<boolean>

  /** Takes up to `limit` due deliveries and leases them until `leaseUntil`. */
  claimDeliveries(now: number, limit: number, leaseUntil: number): Promise<ClaimedDelivery[]>
  /**
   * The earliest time a delivery may next be claimed: pending, endpoint enabled, first of its
   * order key, and past both its retry time and its lease. Deliveries behind another in their
   * order become claimable when that one is recorded (the worker looks again then).
   */
  nextDueAt(): Promise<number | undefined>
  recordAttempts(results: readonly DeliveryAttemptResult[]): Promise<void>
  /** The delivery log of one of the owner's events. */
  listDeliveries(ownerId: string, eventId: string): Promise<DeliveryRecord[] | undefined>
  /**
   * Sends a dead (or delivered) delivery again with a fresh retry schedule, and enables its
   * endpoint; its attempt log goes on (earlier attempts stay listed).
   */
  replayDelivery(ownerId: string, deliveryId: string, now: number): Promise<boolean>

  /** One owner's counts, or everyone's (for /metrics). */
  stats(ownerId: string | undefined, now: number): Promise<StoredQueueStats>
  close(): Promise<void>
}

import type { FastifyBaseLogger } from 'fastify'
import { hashApiKey, looksLikeApiKey } from './apiKeyTokens.js'
import type { CanvasEventSource } from './canvasEventSource.js'
import { CanvasEventConsumer } from './canvasEventConsumer.js'
import { newEventId, type CanvasEventType } from './canvasEvents.js'
import { DEFAULT_JITTER, DEFAULT_RETRY_DELAYS_MS, type DeliveryPolicy } from './deliveryPolicy.js'
import { GroupCommitter } from './groupCommit.js'
import { RateMeter } from './rateMeter.js'
import type { RateLimiter } from './rateLimiter.js'
import type { ApiKeyRecord, InsertedEvent, NewEvent, QueueStats, TriggerStore } from './triggerStore.js'
import { resolveWithDns, type ResolveHost } from './webhookUrlGuard.js'
import { WebhookWorker } from './webhookWorker.js'
import type { WebhookRequest, WebhookResponse } from './webhookSender.js'

export interface TriggersOptions {
  store: TriggerStore
  /** The op log's reader for canvas events; absent where the store does not share the log's database. */
  canvasEvents: CanvasEventSource | undefined
  limiter: RateLimiter
  now: () => number
  logger: FastifyBaseLogger
  allowPrivateWebhooks: boolean
  webhookTimeoutMs: number
  /** Tests shorten these. */
  deliveryPolicy?: Partial<DeliveryPolicy>
  resolveHost?: ResolveHost
  sendWebhook?: (request: WebhookRequest) => Promise<WebhookResponse>
  webhookPollMs?: number
  canvasEventPollMs?: number
  webhookConcurrency?: number
}

/** lastUsedAt is written at most this often per key: a busy key must not write on every request. */
const TOUCH_INTERVAL_MS = 60_000

/**
 * The Triggers API's moving parts on one instance: the store, group-committed ingestion, the
 * webhook worker and the canvas event consumer. Routes use it; app.ts starts and closes it.
 */
export class Triggers {
  readonly store: TriggerStore
  readonly limiter: RateLimiter
  readonly ingested: RateMeter
  readonly delivered: RateMeter
  readonly worker: WebhookWorker
  readonly consumer: CanvasEventConsumer | undefined
  readonly guard: { allowPrivate: boolean; resolve: ResolveHost }
  private readonly ingestor: GroupCommitter<NewEvent, InsertedEvent>
  private readonly touched = new Map<string, number>()
  /** Per owner, for their stats; dropped when quiet (see meterOf). */
  private readonly ingestedBy = new Map<string, RateMeter>()

  constructor(private readonly o: TriggersOptions) {
    this.store = o.store
    this.limiter = o.limiter
    this.ingested = new RateMeter(o.now)
    this.delivered = new RateMeter(o.now)
    this.guard = { allowPrivate: o.allowPrivateWebhooks, resolve: o.resolveHost ?? resolveWithDns }
    this.ingestor = new GroupCommitter((events) => o.store.insertEvents(events))
    this.worker = new WebhookWorker({
      store: o.store,
      now: o.now,
      logger: o.logger,
      guard: this.guard,
      policy: {
        retryDelaysMs: o.deliveryPolicy?.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
        jitter: o.deliveryPolicy?.jitter ?? DEFAULT_JITTER,
      },
      timeoutMs: o.webhookTimeoutMs,
      concurrency: o.webhookConcurrency ?? 64,
      pollMs: o.webhookPollMs ?? 1000,
      delivered: this.delivered,
      ...(o.sendWebhook ? { send: o.sendWebhook } : {}),
    })
    this.consumer =
      o.canvasEvents === undefined
        ? undefined
        : new CanvasEventConsumer({
            source: o.canvasEvents,
            logger: o.logger,
            pollMs: o.canvasEventPollMs ?? 250,
            onEvents: () => this.worker.wake(),
          })
  }

  start(): void {
    this.worker.start()
    this.consumer?.start()
  }

  /** Resolves after the event's transaction committed (with the others of its turn) [TRG1]. */
  async ingest(event: NewEvent): Promise<InsertedEvent> {
    const result = await this.ingestor.submit(event)
    if (!result.duplicate) {
      this.ingested.add()
      this.meterOf(event.ownerId).add()
      this.worker.wake()
    }
    return result
  }

  /**
   * A change to a canvas made over HTTP (created, renamed, shared, deleted), as an event for its
   * owner when they hold a key. Stored after the change itself: a crash between the two loses
   * the event (docs/triggers.md says so); a failure is logged, never the caller's.
   */
  async canvasChanged(
    ownerId: string,
    type: CanvasEventType,
    payload: Record<string, unknown>,
  ): Promise<void> {
    try {
      if ((await this.store.listKeys(ownerId)).length === 0) return
      const at = this.o.now()
      await this.ingest({
        id: newEventId(),
        ownerId,
        type,
        payloadJson: JSON.stringify({ ...payload, at: new Date(at).toISOString() }),
        ...(typeof payload.canvasId === 'string' ? { orderKey: payload.canvasId } : {}),
        createdAt: at,
      })
    } catch (err) {
      this.o.logger.warn({ err, type }, 'canvas event not stored')
    }
  }

  /** The live key an `X-API-Key` or Bearer value names, or undefined. */
  async keyOf(token: string): Promise<ApiKeyRecord | undefined> {
    if (!looksLikeApiKey(token)) return undefined
    const key = await this.store.findKeyByHash(hashApiKey(token))
    if (key === undefined) return undefined
    const now = this.o.now()
    if (now - (this.touched.get(key.keyId) ?? 0) >= TOUCH_INTERVAL_MS) {
      this.touched.set(key.keyId, now)
      this.store
        .touchKey(key.keyId, now)
        .catch((err: unknown) => this.o.logger.warn({ err }, 'lastUsedAt not saved'))
    }
    return key
  }

  async stats(ownerId: string | undefined): Promise<QueueStats> {
    const stored = await this.store.stats(ownerId, this.o.now())
    const meter = ownerId === undefined ? this.ingested : this.ingestedBy.get(ownerId)
    return { ...stored, eventsLastMinute: meter?.lastMinute() ?? 0 }
  }

  private meterOf(ownerId: string): RateMeter {
    let meter = this.ingestedBy.get(ownerId)
    if (meter === undefined) {
      // Owners quiet for a minute have nothing to report: forget them before the map grows.
      if (this.ingestedBy.size >= 10_000) {
        for (const [id, m] of this.ingestedBy) if (m.lastMinute() === 0) this.ingestedBy.delete(id)
      }
      meter = new RateMeter(this.o.now)
      this.ingestedBy.set(ownerId, meter)
    }
    return meter
  }

  async close(): Promise<void> {
    await this.consumer?.close()
    await this.worker.close()
  }
}

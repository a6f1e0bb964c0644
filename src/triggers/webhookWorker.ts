import type { FastifyBaseLogger } from 'fastify'
import { decideAttempt, type DeliveryPolicy } from './deliveryPolicy.js'
import { GroupCommitter } from './groupCommit.js'
import type { RateMeter } from './rateMeter.js'
import type { ClaimedDelivery, DeliveryAttemptResult, TriggerStore } from './triggerStore.js'
import { checkWebhookUrl, type UrlGuardOptions } from './webhookUrlGuard.js'
import { sendWebhook, type WebhookRequest, type WebhookResponse } from './webhookSender.js'
import { signWebhook } from './webhookSigner.js'

export interface WebhookWorkerOptions {
  store: TriggerStore
  now: () => number
  logger: FastifyBaseLogger
  guard: UrlGuardOptions
  policy: DeliveryPolicy
  /** One attempt's deadline, headers and body [S4]. */
  timeoutMs: number
  /** Deliveries in flight at once, over all endpoints. */
  concurrency: number
  /** How often the store is asked for due deliveries when nothing wakes the worker. */
  pollMs: number
  delivered: RateMeter
  /** Injected in tests to count connections; the real sender otherwise. */
  send?: (request: WebhookRequest) => Promise<WebhookResponse>
  random?: () => number
}

const MIN_WAIT_MS = 20

/**
 * An attempt lasts no longer than the timeout; a lease this much longer keeps other workers off
 * it while its result is recorded. A worker that died holds its deliveries no longer than this.
 */
const LEASE_MARGIN_MS = 5_000

/**
 * Claims due deliveries from the store, sends them signed, records each attempt. The store is the
 * queue: a delivery is claimed with a lease, so a worker that dies mid-delivery leaves it to be
 * claimed again when the lease ends (at least once; the webhook-id stays the event's id, so
 * receivers drop the duplicate) [S6]. Attempts are recorded in group commits.
 */
export class WebhookWorker {
  private inFlight = 0
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private claiming = false
  private again = false
  private readonly record: GroupCommitter<DeliveryAttemptResult, void>
  private readonly idle = new Set<() => void>()

  constructor(private readonly o: WebhookWorkerOptions) {
    this.record = new GroupCommitter(async (results) => {
      await o.store.recordAttempts(results)
      return results.map(() => undefined)
    }, 500)
  }

  start(): void {
    this.wake()
  }

  /** Something may be due now (an event was stored, a delivery replayed). */
  wake(): void {
    if (this.closed) return
    if (this.claiming) {
      this.again = true
      return
    }
    void this.claim()
  }

  private async claim(): Promise<void> {
    this.claiming = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    try {
      do {
        this.again = false
        const free = this.o.concurrency - this.inFlight
        if (free <= 0) return
        const now = this.o.now()
        const claimed = await this.o.store.claimDeliveries(
          now,
          free,
          now + this.o.timeoutMs + LEASE_MARGIN_MS,
        )
        for (const delivery of claimed) this.deliver(delivery)
        if (claimed.length === free) this.again = true
      } while (this.again && !this.closed)
      await this.scheduleNext()
    } catch (err) {
      this.o.logger.warn({ err }, 'claiming webhook deliveries failed')
      this.timer = setTimeout(() => this.wake(), this.o.pollMs)
    } finally {
      this.claiming = false
    }
  }

  private async scheduleNext(): Promise<void> {
    if (this.closed) return
    const due = await this.o.store.nextDueAt()
    // Never sooner than MIN_WAIT_MS: a delivery due but not claimable (another instance leased it
    // a moment ago) must not make a busy loop.
    const wait = due === undefined ? this.o.pollMs : Math.min(this.o.pollMs, due - this.o.now())
    this.timer = setTimeout(() => this.wake(), Math.max(MIN_WAIT_MS, wait))
  }

  private deliver(delivery: ClaimedDelivery): void {
    this.inFlight += 1
    this.attempt(delivery)
      .then((result) => this.record.submit(result))
      .catch((err: unknown) =>
        this.o.logger.error({ err, deliveryId: delivery.id }, 'recording a webhook attempt failed'),
      )
      .finally(() => {
        this.inFlight -= 1
        if (this.inFlight === 0) for (const done of this.idle) done()
        this.wake()
      })
  }

  private async attempt(delivery: ClaimedDelivery): Promise<DeliveryAttemptResult> {
    const { endpoint, event } = delivery
    const at = this.o.now()
    const response = await this.post(delivery)
    if (response.statusCode !== null && response.statusCode < 300 && response.statusCode >= 200)
      this.o.delivered.add()
    const outcome = decideAttempt(
      response.statusCode,
      response.error,
      delivery.attempts,
      this.o.policy,
      this.o.now(),
      (this.o.random ?? Math.random)(),
    )
    if (outcome.kind === 'dead' || outcome.kind === 'gone') {
      this.o.logger.warn(
        { endpointId: endpoint.id, eventId: event.id, reason: outcome.disableReason },
        'webhook endpoint disabled',
      )
    }
    return {
      deliveryId: delivery.id,
      at,
      statusCode: response.statusCode,
      error:
        response.error ??
        (response.statusCode !== null && response.statusCode >= 300 ? `HTTP ${response.statusCode}` : null),
      durationMs: response.durationMs,
      outcome,
    }
  }

  private async post(delivery: ClaimedDelivery): Promise<WebhookResponse> {
    const { endpoint, event } = delivery
    // Checked again at every attempt, and the connection goes to the address checked [S1][S2].
    const check = await checkWebhookUrl(endpoint.url, this.o.guard)
    if (!check.ok) return { statusCode: null, error: `refused: ${check.reason}`, durationMs: 0 }
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      createdAt: new Date(event.createdAt).toISOString(),
      payload: event.payload,
    })
    const now = this.o.now()
    const secrets =
      endpoint.previousSecret !== null && (endpoint.previousSecretUntil ?? 0) > now
        ? [endpoint.secret, endpoint.previousSecret]
        : [endpoint.secret]
    const timestamp = Math.floor(now / 1000)
    const request: WebhookRequest = {
      url: check.url,
      address: check.address,
      headers: {
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secrets, event.id, timestamp, body),
      },
      body,
      timeoutMs: this.o.timeoutMs,
    }
    return (this.o.send ?? sendWebhook)(request)
  }

  /** Stops claiming; resolves once the deliveries in flight are recorded (or `waitMs` passed). */
  async close(waitMs = 5_000): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.inFlight === 0) return
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs)
      this.idle.add(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }
}

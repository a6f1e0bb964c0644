import type { AiQuotaState } from '../protocol/aiHttpTypes.js'
import { fullBucket, take, type Bucket, type BucketRule } from '../core/tokenBucket.js'

/**
 * Per-user limits on AI commands, as values over a clock the caller passes: a token bucket of
 * `commandsPerHour` (a user may spend it at once, then gets one back every 3600/N seconds), and a
 * daily budget of model tokens (Claude's usage, counted after each call) [I1]. Kept per instance,
 * in memory: a restart forgives, which is the point of a rate limit, not a bill.
 */
export interface AiQuotaRule {
  commandsPerHour: number
  tokensPerDay: number
}

export type QuotaState = AiQuotaState

const DAY_MS = 86_400_000
/** Users remembered before full buckets are swept (they carry no information). */
const SWEEP_AT = 50_000

export class AiQuota {
  private readonly buckets = new Map<string, Bucket>()
  private readonly tokens = new Map<string, { day: number; used: number }>()
  private readonly rule: BucketRule

  constructor(private readonly limits: AiQuotaRule) {
    this.rule = { capacity: limits.commandsPerHour, refillPerSec: limits.commandsPerHour / 3600 }
  }

  /** Takes one command from the user's bucket. */
  take(userId: string, now: number): { ok: true; state: QuotaState } | { ok: false; state: QuotaState } {
    const bucket = this.buckets.get(userId) ?? fullBucket(this.rule, now)
    const result = take(bucket, this.rule, now)
    if (this.buckets.size >= SWEEP_AT) this.sweep(now)
    this.buckets.set(userId, result.bucket)
    return result.ok
      ? { ok: true, state: this.stateOf(result.bucket) }
      : {
          ok: false,
          state: { ...this.stateOf(result.bucket), retryAfterSec: Math.ceil(result.retryAfterMs / 1000) },
        }
  }

  /** What the user has left, without taking anything. */
  peek(userId: string, now: number): QuotaState {
    const bucket = this.buckets.get(userId) ?? fullBucket(this.rule, now)
    const probe = take(bucket, this.rule, now)
    return probe.ok
      ? this.stateOf(bucket, now)
      : { ...this.stateOf(probe.bucket), retryAfterSec: Math.ceil(probe.retryAfterMs / 1000) }
  }

  /** Whether the user may still spend model tokens today. */
  hasTokens(userId: string, now: number): boolean {
    const entry = this.tokens.get(userId)
    return entry === undefined || entry.day !== dayOf(now) || entry.used < this.limits.tokensPerDay
  }

  spendTokens(userId: string, count: number, now: number): void {
    const day = dayOf(now)
    const entry = this.tokens.get(userId)
    this.tokens.set(userId, { day, used: (entry?.day === day ? entry.used : 0) + count })
  }

  private stateOf(bucket: Bucket, now?: number): QuotaState {
    const tokens =
      now === undefined
        ? bucket.tokens
        : Math.min(
            this.rule.capacity,
            bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.rule.refillPerSec,
          )
    return { limit: this.limits.commandsPerHour, remaining: Math.floor(tokens), retryAfterSec: 0 }
  }

  private sweep(now: number): void {
    for (const [id, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.rule.refillPerSec >= this.rule.capacity)
        this.buckets.delete(id)
    }
    for (const [id, entry] of this.tokens) if (entry.day !== dayOf(now)) this.tokens.delete(id)
  }
}

const dayOf = (now: number) => Math.floor(now / DAY_MS)

import { fullBucket, take, type Bucket, type BucketRule } from '../core/tokenBucket.js'

export interface RateDecision {
  ok: boolean
  /** The bucket's size: requests a minute for the key's tier. */
  limit: number
  remaining: number
  /** Seconds until the bucket is full again. */
  resetSec: number
  /** Seconds until one request is allowed again (when refused). */
  retryAfterSec: number
}

/**
 * Token buckets per API key. Memory here (one instance); with several instances the buckets must
 * be shared so a key's limit holds across them: an implementation on Redis (a Lua script doing
 * refill-and-take atomically on one hash per key, with a TTL of one full refill) fits this
 * interface unchanged.
 */
export interface RateLimiter {
  take(key: string, rule: BucketRule, now: number): Promise<RateDecision>
}

/** One bucket per key in a Map; full buckets are dropped when the map is swept. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  take(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    if (this.buckets.size > 100_000) this.sweep(rule, now)
    const result = take(this.buckets.get(key) ?? fullBucket(rule, now), rule, now)
    this.buckets.set(key, result.bucket)
    return Promise.resolve(decisionOf(result.bucket, rule, result.ok ? 0 : result.retryAfterMs))
  }

  private sweep(rule: BucketRule, now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * rule.refillPerSec >= rule.capacity)
        this.buckets.delete(key)
    }
  }
}

export function decisionOf(bucket: Bucket, rule: BucketRule, retryAfterMs: number): RateDecision {
  const remaining = Math.floor(bucket.tokens)
  return {
    ok: retryAfterMs === 0,
    limit: rule.capacity,
    remaining,
    resetSec: Math.ceil((rule.capacity - bucket.tokens) / rule.refillPerSec),
    retryAfterSec: Math.ceil(retryAfterMs / 1000),
  }
}

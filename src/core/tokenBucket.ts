/**
 * Token buckets as values: the caller passes the clock, so limits are testable and the same
 * rule serves login throttling, per-connection op limits and API tiers.
 * Invariant: 0 <= tokens <= capacity.
 */
export interface BucketRule {
  capacity: number
  refillPerSec: number
}

export interface Bucket {
  tokens: number
  /** Unix ms of the last refill. */
  at: number
}

export const fullBucket = (rule: BucketRule, now: number): Bucket => ({ tokens: rule.capacity, at: now })

export function refill(bucket: Bucket, rule: BucketRule, now: number): Bucket {
  if (now <= bucket.at) return bucket
  const tokens = Math.min(rule.capacity, bucket.tokens + ((now - bucket.at) / 1000) * rule.refillPerSec)
  return { tokens, at: now }
}

export type Take = { ok: true; bucket: Bucket } | { ok: false; bucket: Bucket; retryAfterMs: number }

/** Takes `cost` tokens if there are enough; otherwise says how long until there will be. */
export function take(bucket: Bucket, rule: BucketRule, now: number, cost = 1): Take {
  const current = refill(bucket, rule, now)
  if (current.tokens >= cost) return { ok: true, bucket: { tokens: current.tokens - cost, at: current.at } }
  const missing = cost - current.tokens
  return { ok: false, bucket: current, retryAfterMs: Math.ceil((missing / rule.refillPerSec) * 1000) }
}

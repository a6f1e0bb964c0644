import type { BucketRule } from '../core/tokenBucket.js'

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
 * Token buckets per API key, kept where every instance of the deployment sees them, so a key's
 * limit holds however requests spread over instances [RL1]: a SQLite file beside the database
 * (processes on one host), PostgreSQL (DATABASE_URL) or Redis (REDIS_URL). Each `take` is one
 * atomic statement or script: refill by the time passed since the bucket's last take, then take
 * one token if there is one. Every implementation passes test/contract/rateLimiter.contract.ts.
 *
 * [RL1] Takes on one key from any number of limiters on the same storage never grant more than
 *       the bucket's capacity plus what refilled meanwhile.
 * [RL2] A refused take costs nothing: the bucket keeps what it had.
 */
export interface RateLimiter {
  take(key: string, rule: BucketRule, now: number): Promise<RateDecision>
  close(): Promise<void>
}

/**
 * What the headers say about a bucket that holds `tokens` after the take (granted or not).
 * Shared by every implementation, so they answer alike.
 */
export function decisionOf(tokens: number, granted: boolean, rule: BucketRule): RateDecision {
  const retryAfterMs = granted ? 0 : Math.ceil(((1 - tokens) / rule.refillPerSec) * 1000)
  return {
    ok: granted,
    limit: rule.capacity,
    remaining: Math.floor(tokens),
    resetSec: Math.ceil((rule.capacity - tokens) / rule.refillPerSec),
    retryAfterSec: Math.ceil(retryAfterMs / 1000),
  }
}

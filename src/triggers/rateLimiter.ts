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
 * Token buckets per key (API keys', and each user's AI commands and model tokens), kept where every instance of the deployment sees them, so a key's
 * limit holds however requests spread over instances [RL1]: a SQLite file beside the database
 * (processes on one host), PostgreSQL (DATABASE_URL) or Redis (REDIS_URL). Each `take` is one
 * atomic statement or script: refill by the time passed since the bucket's last take, then take
 * one token if there is one. Every implementation passes test/contract/rateLimiter.contract.ts.
 *
 * [RL1] Takes on one key from any number of limiters on the same storage never grant more than
 *       the bucket's capacity plus what refilled meanwhile.
 * [RL2] A refused take costs nothing: the bucket keeps what it had.
 * [RL3] A peek answers what a take would, and changes nothing.
 * [RL4] A spend takes its amount whatever the bucket holds, down below zero: for costs known only
 *       afterwards (model tokens), a debt the refill pays off before the next take is granted.
 */
export interface RateLimiter {
  take(key: string, rule: BucketRule, now: number): Promise<RateDecision>
  peek(key: string, rule: BucketRule, now: number): Promise<RateDecision>
  spend(key: string, rule: BucketRule, now: number, amount: number): Promise<RateDecision>
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
    remaining: Math.max(0, Math.floor(tokens)),
    resetSec: Math.ceil((rule.capacity - tokens) / rule.refillPerSec),
    retryAfterSec: Math.ceil(retryAfterMs / 1000),
  }
}

/** A bucket as stored (tokens, and the time of its last take), or undefined for a key never taken. */
export interface StoredBucket {
  tokens: number
  at: number
}

/** [RL3] What a take would answer now, from the stored bucket; full when there is none. */
export function peekDecision(stored: StoredBucket | undefined, rule: BucketRule, now: number): RateDecision {
  const tokens =
    stored === undefined
      ? rule.capacity
      : Math.min(rule.capacity, stored.tokens + (Math.max(0, now - stored.at) * rule.refillPerSec) / 1000)
  return decisionOf(tokens, tokens >= 1, rule)
}

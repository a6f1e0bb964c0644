import { fullBucket, take, type Bucket, type BucketRule } from '../core/tokenBucket.js'
import { loginBuckets, type LoginAttempt } from './loginThrottle.js'

/**
 * Token buckets kept where every instance of a deployment sees them (the SQLite file of
 * BUS=sqlite, Redis for BUS=redis), so failed logins are counted however they spread over
 * instances [A2]. Each spend is atomic in the store: refill by the time passed, then take one.
 */
export interface SharedBuckets {
  /** The buckets as stored now (undefined: none, i.e. full). */
  read(keys: readonly string[]): Promise<(Bucket | undefined)[]>
  /** Takes one token from each bucket that has one (refilled first), atomically per bucket. */
  spend(buckets: readonly { key: string; rule: BucketRule }[], now: number): Promise<void>
  delete(keys: readonly string[]): Promise<void>
  close(): Promise<void>
}

/**
 * LoginThrottle's rules (loginThrottle.ts, the same buckets and keys) over SharedBuckets: what
 * BUS=sqlite and BUS=redis deployments use instead of the per-process counts.
 */
export class SharedLoginThrottle {
  constructor(
    private readonly buckets: SharedBuckets,
    private readonly now: () => number = Date.now,
  ) {}

  async retryAfterSec(attempt: LoginAttempt): Promise<number> {
    const keys = loginBuckets(attempt)
    const stored = await this.buckets.read(keys.map(([key]) => key))
    const now = this.now()
    let waitMs = 0
    keys.forEach(([, rule], i) => {
      const r = take(stored[i] ?? fullBucket(rule, now), rule, now, 1)
      if (!r.ok) waitMs = Math.max(waitMs, r.retryAfterMs)
    })
    return Math.ceil(waitMs / 1000)
  }

  recordFailure(attempt: LoginAttempt): Promise<void> {
    return this.buckets.spend(
      loginBuckets(attempt).map(([key, rule]) => ({ key, rule })),
      this.now(),
    )
  }

  recordSuccess({ email, ip, device }: LoginAttempt): Promise<void> {
    return this.buckets.delete([
      `ai:${email}|${ip}`,
      ...(device !== undefined ? [`d:${device}|${email}`] : []),
    ])
  }
}

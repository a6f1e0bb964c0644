import { fullBucket, take, type Bucket, type BucketRule } from '../core/tokenBucket.js'

/**
 * Failed-login throttling [A2]. Only failures spend tokens; a request is refused while any of
 * its buckets is empty:
 * - account + IP: a guesser at one account from one place is stopped after a few tries;
 * - IP: one place trying many accounts (credential stuffing) is stopped;
 * - account: many places guessing one account are slowed, with a capacity high enough that a
 *   single attacker (stopped by the first rule) cannot lock the real user out.
 * In memory, per process: behind several instances each keeps its own counts (documented).
 */
export const LOGIN_RULES = {
  accountAndIp: { capacity: 5, refillPerSec: 1 / 60 },
  ip: { capacity: 30, refillPerSec: 1 / 4 },
  account: { capacity: 50, refillPerSec: 1 / 30 },
} as const satisfies Record<string, BucketRule>

const MAX_TRACKED_KEYS = 100_000

export class LoginThrottle {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly now: () => number = Date.now) {}

  private keys(email: string, ip: string): [string, BucketRule][] {
    return [
      [`ai:${email}|${ip}`, LOGIN_RULES.accountAndIp],
      [`i:${ip}`, LOGIN_RULES.ip],
      [`a:${email}`, LOGIN_RULES.account],
    ]
  }

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfterSec(email: string, ip: string): number {
    const now = this.now()
    let waitMs = 0
    for (const [key, rule] of this.keys(email, ip)) {
      const bucket = this.buckets.get(key)
      if (!bucket) continue
      const r = take(bucket, rule, now, 1)
      if (!r.ok) waitMs = Math.max(waitMs, r.retryAfterMs)
    }
    return Math.ceil(waitMs / 1000)
  }

  recordFailure(email: string, ip: string): void {
    const now = this.now()
    for (const [key, rule] of this.keys(email, ip)) {
      const r = take(this.buckets.get(key) ?? fullBucket(rule, now), rule, now, 1)
      this.buckets.delete(key) // re-insert so Map order is least-recently-failed first
      this.buckets.set(key, r.bucket)
    }
    while (this.buckets.size > MAX_TRACKED_KEYS) {
      const oldest = this.buckets.keys().next().value
      if (oldest === undefined) break
      this.buckets.delete(oldest)
    }
  }

  recordSuccess(email: string, ip: string): void {
    this.buckets.delete(`ai:${email}|${ip}`)
  }
}

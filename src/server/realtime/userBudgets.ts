import { fullBucket, refill, take, type Bucket, type BucketRule } from '../../core/tokenBucket.js'

/**
 * Each user's message budget across all their sockets here [W3]. A user without sockets keeps an
 * empty budget until it has refilled: reconnecting does not refill it.
 */
export class UserBudgets {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly rule: BucketRule) {}

  /** Spends one message of the user's budget; false when it is empty. */
  take(userId: string, now: number): boolean {
    const r = take(this.buckets.get(userId) ?? fullBucket(this.rule, now), this.rule, now)
    this.buckets.set(userId, r.bucket)
    return r.ok
  }

  /** Forgets the full budgets of users with no socket (`connected` says who has one). */
  forgetRefilled(now: number, connected: (userId: string) => boolean): void {
    for (const [userId, bucket] of this.buckets) {
      if (!connected(userId) && refill(bucket, this.rule, now).tokens >= this.rule.capacity) {
        this.buckets.delete(userId)
      }
    }
  }
}

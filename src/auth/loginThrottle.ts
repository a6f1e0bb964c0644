import { fullBucket, take, type Bucket, type BucketRule } from '../core/tokenBucket.js'

/**
 * Failed-login throttling [A2]. Only failures spend tokens; a request is refused (429, before
 * the password is checked, so a refusal tells nothing) while any of its buckets is empty.
 *
 * A login without a device cookie for the account is counted on three buckets:
 * - account + IP: a guesser at one account from one place is stopped after a few tries;
 * - IP: one place trying many accounts (credential stuffing) is stopped;
 * - account: many places guessing one account are slowed.
 * A login with a valid device cookie for the account (a browser that signed in to it before)
 * is counted on its own bucket only: a flood from the same address, or aimed at the same
 * account, never locks that user out, and a stolen-but-wrong guess gets few tries.
 * In memory, per process (BUS=memory); several instances share theirs through
 * SharedLoginThrottle (sharedLoginThrottle.ts).
 */
export const LOGIN_RULES = {
  accountAndIp: { capacity: 5, refillPerSec: 1 / 60 },
  ip: { capacity: 30, refillPerSec: 1 / 4 },
  account: { capacity: 50, refillPerSec: 1 / 30 },
  device: { capacity: 10, refillPerSec: 1 / 60 },
} as const satisfies Record<string, BucketRule>

const MAX_TRACKED_KEYS = 100_000

/** Who is trying: the account, the client address, and the device id when its cookie is valid. */
export interface LoginAttempt {
  email: string
  ip: string
  device?: string | undefined
}

/** The buckets an attempt is counted on, with their rules (shared with SharedLoginThrottle). */
export function loginBuckets({ email, ip, device }: LoginAttempt): [string, BucketRule][] {
  if (device !== undefined) return [[`d:${device}|${email}`, LOGIN_RULES.device]]
  return [
    [`ai:${email}|${ip}`, LOGIN_RULES.accountAndIp],
    [`i:${ip}`, LOGIN_RULES.ip],
    [`a:${email}`, LOGIN_RULES.account],
  ]
}

/** What Accounts needs of a login throttle: this process's (LoginThrottle) or the deployment's. */
export interface LoginThrottling {
  retryAfterSec(attempt: LoginAttempt): number | Promise<number>
  recordFailure(attempt: LoginAttempt): void | Promise<void>
  recordSuccess(attempt: LoginAttempt): void | Promise<void>
}

export class LoginThrottle implements LoginThrottling {
  private readonly buckets = new Map<string, Bucket>()

  constructor(private readonly now: () => number = Date.now) {}

  private keys(attempt: LoginAttempt): [string, BucketRule][] {
    return loginBuckets(attempt)
  }

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfterSec(attempt: LoginAttempt): number {
    const now = this.now()
    let waitMs = 0
    for (const [key, rule] of this.keys(attempt)) {
      const bucket = this.buckets.get(key)
      if (!bucket) continue
      const r = take(bucket, rule, now, 1)
      if (!r.ok) waitMs = Math.max(waitMs, r.retryAfterMs)
    }
    return Math.ceil(waitMs / 1000)
  }

  recordFailure(attempt: LoginAttempt): void {
    const now = this.now()
    for (const [key, rule] of this.keys(attempt)) {
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

  recordSuccess({ email, ip, device }: LoginAttempt): void {
    this.buckets.delete(`ai:${email}|${ip}`)
    if (device !== undefined) this.buckets.delete(`d:${device}|${email}`)
  }
}

/**
 * Registrations per client address [A2]: every attempt that passes validation spends a token
 * (a 409 too, so the endpoint cannot be used to enumerate emails quickly).
 */
export class RegistrationThrottle {
  private readonly buckets = new Map<string, Bucket>()
  private readonly rule: BucketRule

  constructor(
    perHour: number,
    private readonly now: () => number = Date.now,
  ) {
    this.rule = { capacity: perHour, refillPerSec: perHour / 3600 }
  }

  /** Spends one token for this address; the seconds to wait when none is left, else 0. */
  take(ip: string): number {
    const now = this.now()
    const r = take(this.buckets.get(ip) ?? fullBucket(this.rule, now), this.rule, now, 1)
    this.buckets.delete(ip)
    this.buckets.set(ip, r.bucket)
    if (this.buckets.size > MAX_TRACKED_KEYS) {
      const oldest = this.buckets.keys().next().value
      if (oldest !== undefined) this.buckets.delete(oldest)
    }
    return r.ok ? 0 : Math.ceil(r.retryAfterMs / 1000)
  }
}

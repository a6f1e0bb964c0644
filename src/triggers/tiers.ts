import type { BucketRule } from '../core/tokenBucket.js'

/** The contract's tiers: requests a minute, as a token bucket that holds one minute's worth. */
export const TIERS = ['free', 'starter', 'professional', 'enterprise'] as const
export type Tier = (typeof TIERS)[number]

export const REQUESTS_PER_MINUTE: Readonly<Record<Tier, number>> = {
  free: 10,
  starter: 60,
  professional: 600,
  enterprise: 6000,
}

export function isTier(value: string): value is Tier {
  return (TIERS as readonly string[]).includes(value)
}

export function tierRule(tier: Tier): BucketRule {
  const perMinute = REQUESTS_PER_MINUTE[tier]
  return { capacity: perMinute, refillPerSec: perMinute / 60 }
}

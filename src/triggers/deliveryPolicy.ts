import type { DeliveryAttemptResult } from './triggerStore.js'

/**
 * Waits before each retry, after the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h —
 * eight attempts over about 28 hours (Standard Webhooks' recommended shape), each wait spread by
 * ±`jitter` so retries of many endpoints do not fall in step. After the last one the delivery is
 * dead and its endpoint disabled with the reason [S6].
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
]
export const DEFAULT_JITTER = 0.2

export interface DeliveryPolicy {
  retryDelaysMs: readonly number[]
  jitter: number
}

export type AttemptOutcome = DeliveryAttemptResult['outcome']

/**
 * What follows an attempt. `attempts` counts the attempts before this one; `random` is in [0, 1).
 * A 410 disables the endpoint at once; any other non-2xx answer, or none, is retried.
 */
export function decideAttempt(
  statusCode: number | null,
  error: string | null,
  attempts: number,
  policy: DeliveryPolicy,
  now: number,
  random: number,
): AttemptOutcome {
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { kind: 'delivered' }
  if (statusCode === 410) return { kind: 'gone', disableReason: 'the endpoint answered 410 Gone' }
  const delay = policy.retryDelaysMs[attempts]
  if (delay === undefined) {
    const last = statusCode === null ? (error ?? 'no answer') : `HTTP ${statusCode}`
    return {
      kind: 'dead',
      disableReason: `the last of ${attempts + 1} attempts failed (${last})`,
    }
  }
  const spread = 1 + policy.jitter * (2 * random - 1)
  return { kind: 'retry', nextAttemptAt: now + Math.round(delay * spread) }
}

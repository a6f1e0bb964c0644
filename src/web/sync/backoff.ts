export interface BackoffPolicy {
  /** The ceiling of the first wait. */
  initialMs: number
  /** The ceiling never grows past this. */
  maxMs: number
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ initialMs: 500, maxMs: 30_000 })

/**
 * How long to wait before attempt `attempt` (0 for the first retry): exponential with "equal
 * jitter", a random point in [ceiling/2, ceiling) where the ceiling doubles per attempt up to
 * maxMs [SYNC22]. Half is fixed so a retry never comes at once; half is random so the clients of
 * a restarted server do not all come back in the same millisecond.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt))
  const r = Math.min(Math.max(random(), 0), 1)
  return ceiling / 2 + (ceiling / 2) * r
}

/** One cumulative bucket of a Prometheus histogram: how many observations were ≤ `le`. */
export interface Bucket {
  le: number
  count: number
}

/**
 * The `q` quantile of the observations made between two readings of one histogram (the buckets'
 * counts subtracted), interpolated linearly inside the bucket it falls in, as PromQL's
 * histogram_quantile does. Undefined when nothing was observed in between. Observations past
 * the last finite bucket are reported at that bucket's bound (the histogram knows no more).
 */
export function windowQuantile(
  before: readonly Bucket[],
  after: readonly Bucket[],
  q: number,
): number | undefined {
  const previous = new Map(before.map((b) => [b.le, b.count]))
  const window = after
    .map((b) => ({ le: b.le, count: b.count - (previous.get(b.le) ?? 0) }))
    .sort((a, b) => a.le - b.le)
  const total = window.at(-1)?.count ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  let lowerBound = 0
  let lowerCount = 0
  for (const bucket of window) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return lowerBound
      const inBucket = bucket.count - lowerCount
      return inBucket <= 0
        ? bucket.le
        : lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / inBucket
    }
    lowerBound = bucket.le
    lowerCount = bucket.count
  }
  return lowerBound
}

/**
 * Statistics helpers for the benchmarks: medians of run results and a fixed-bin latency
 * histogram that takes millions of samples in constant memory.
 *
 * Not run directly; imported by bench/httpHealth.mjs and bench/wsBench.mjs.
 */

/** Median of finite numbers (mean of the middle two for an even count); null when none. */
export function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return null
  const mid = xs.length >> 1
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

/** Rounds for display and JSON (2 decimals by default); non-numbers pass through as null. */
export function round(value, digits = 2) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value ?? null
  const f = 10 ** digits
  return Math.round(value * f) / f
}

// Bins: 10 µs wide below 100 ms, 1 ms wide up to 120 s, then one overflow bin.
const FINE_LIMIT_MS = 100
const FINE_PER_MS = 100
const COARSE_LIMIT_MS = 120_000
const FINE_BINS = FINE_LIMIT_MS * FINE_PER_MS
const BINS = FINE_BINS + (COARSE_LIMIT_MS - FINE_LIMIT_MS) + 1

/** Latency histogram in milliseconds; percentiles report the upper edge of their bin. */
export class LatencyHistogram {
  constructor() {
    this.bins = new Uint32Array(BINS)
    this.count = 0
    this.sum = 0
    this.max = 0
  }

  record(ms) {
    const v = ms > 0 ? ms : 0
    let i
    if (v < FINE_LIMIT_MS) i = Math.floor(v * FINE_PER_MS)
    else if (v < COARSE_LIMIT_MS) i = FINE_BINS + Math.floor(v - FINE_LIMIT_MS)
    else i = BINS - 1
    this.bins[i]++
    this.count++
    this.sum += v
    if (v > this.max) this.max = v
  }

  percentile(p) {
    if (this.count === 0) return null
    const rank = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < BINS; i++) {
      seen += this.bins[i]
      if (seen >= rank) {
        const upper = i < FINE_BINS ? (i + 1) / FINE_PER_MS : FINE_LIMIT_MS + (i - FINE_BINS) + 1
        return Math.min(upper, this.max)
      }
    }
    return this.max
  }

  /** p50/p95/p99/max/mean in ms, rounded; nulls when nothing was recorded. */
  summary() {
    return {
      count: this.count,
      p50: round(this.percentile(50)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: this.count === 0 ? null : round(this.max),
      mean: this.count === 0 ? null : round(this.sum / this.count),
    }
  }
}

/** Value at a dotted path ("updates.fanoutMs.p99") of a plain object. */
export function pick(object, path) {
  let v = object
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = v[key]
  }
  return v
}

/**
 * Median, path by path, of the numeric leaves of several run results of the same shape.
 * Non-numeric leaves are taken from the first run; a count missing from a run counts as absent.
 */
export function medianOfRuns(runs) {
  if (runs.length === 0) return null
  const walk = (nodes) => {
    const first = nodes.find((n) => n !== null && n !== undefined) ?? null
    // An even count's median is a mean: rounded, like the numbers it comes from.
    if (typeof first === 'number') return round(median(nodes), 4)
    if (first === null || typeof first !== 'object' || Array.isArray(first)) return first
    const out = {}
    const keys = new Set(nodes.flatMap((n) => (n && typeof n === 'object' ? Object.keys(n) : [])))
    for (const key of keys) out[key] = walk(nodes.map((n) => (n ?? {})[key]))
    return out
  }
  return walk(runs)
}

/** Sums {key: count} maps over runs (e.g. close codes): a count absent from a run is 0 there. */
export function sumCounts(maps) {
  const out = {}
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v
  return out
}

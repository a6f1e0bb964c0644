import type { Histogram, Registry } from 'prom-client'

/** Records one observation in one series; resolved once, called on a hot path. */
export type Observe = (value: number) => void

interface Series {
  labels: Readonly<Record<string, string>>
  /** Observations per bucket, not cumulative: `counts[i]` fell in (bound[i-1], bound[i]]. */
  counts: Float64Array
  sum: number
  count: number
}

/** One line of the exposition, in the shape prom-client's Registry formats. */
interface Sample {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

/**
 * A Prometheus histogram whose series are resolved once and then observed cheaply.
 *
 * prom-client's Histogram turns the label set into a hash string, and the bucket bound into a
 * property name, on every observation: ~1 µs. Here `series(labels)` is called once per label
 * set, and an observation is a bucket search and three additions. prom-client still registers, formats and serves the metric: this
 * object has what its Registry reads from every metric (name, help, type, aggregator, `get()`,
 * `reset()`), so the exposition is the same as its Histogram's.
 */
export class SeriesHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly all = new Map<string, Series>()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    if (!buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > buckets[i - 1]!))) {
      throw new RangeError(`${name}: buckets must be finite and increasing`)
    }
    // The Registry takes any object with this shape; its type names prom-client's own classes.
    registry.registerMetric(this as unknown as Histogram)
  }

  /** The observer of one label set; the same label set always gets the same series. */
  series(labels: Readonly<Record<string, string>>): Observe {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
    let series = this.all.get(key)
    if (series === undefined) {
      series = { labels: { ...labels }, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 }
      this.all.set(key, series)
    }
    const s = series
    const bounds = this.buckets
    return (value) => {
      // prom-client throws here; a bad measurement is not worth failing a request over.
      if (!Number.isFinite(value)) return
      s.sum += value
      s.count += 1
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]!) {
          s.counts[i]! += 1
          return
        }
      }
    }
  }

  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] } {
    const values: Sample[] = []
    for (const s of this.all.values()) {
      let cumulative = 0
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i]!
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...s.labels }, value: cumulative })
      })
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count },
        { metricName: `${this.name}_sum`, labels: { ...s.labels }, value: s.sum },
        { metricName: `${this.name}_count`, labels: { ...s.labels }, value: s.count },
      )
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** Zeroes every series; observers already handed out stay valid. */
  reset(): void {
    for (const s of this.all.values()) {
      s.counts.fill(0)
      s.sum = 0
      s.count = 0
    }
  }
}

import fc from 'fast-check'
import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { SeriesHistogram } from '../../src/server/seriesHistogram.js'

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
const LABELS = ['method', 'route', 'status_code'] as const
type Labels = Record<(typeof LABELS)[number], string>

/** The same observations into a SeriesHistogram and into prom-client's own Histogram. */
async function expositions(observations: readonly { labels: Labels; value: number }[]) {
  const ours = new Registry()
  const fast = new SeriesHistogram('d_seconds', 'durations', BUCKETS, ours)
  const theirs = new Registry()
  const reference = new Histogram({
    name: 'd_seconds',
    help: 'durations',
    labelNames: LABELS,
    buckets: BUCKETS,
    registers: [theirs],
  })
  for (const { labels, value } of observations) {
    fast.series(labels)(value)
    reference.observe(labels, value)
  }
  return { ours: await ours.metrics(), theirs: await theirs.metrics(), fast }
}

const label = fc.constantFrom('GET', 'POST', '/health', '/api/canvases/:id', '200', '404', 'a"b\\c\nd')
const observation = fc.record({
  labels: fc.record({ method: label, route: label, status_code: label }),
  value: fc.oneof(fc.constantFrom(...BUCKETS, 0, 3), fc.double({ min: 0, max: 5, noNaN: true })),
})

describe('SeriesHistogram', () => {
  it('when observations are recorded then the exposition is exactly what prom-client Histogram writes for them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 40 }), async (observations) => {
        const { ours, theirs } = await expositions(observations)
        expect(ours).toBe(theirs)
      }),
    )
  })

  it('when the series has no labels then it reads as prom-client’s unlabelled histogram, before and after observations', async () => {
    const ours = new Registry()
    const observe = new SeriesHistogram('d_seconds', 'durations', BUCKETS, ours).series({})
    const theirs = new Registry()
    const reference = new Histogram({
      name: 'd_seconds',
      help: 'durations',
      buckets: BUCKETS,
      registers: [theirs],
    })
    expect(await ours.metrics()).toBe(await theirs.metrics())
    for (const value of [0.0004, 0.03, 7]) {
      observe(value)
      reference.observe(value)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('when a value sits on a bucket bound then it counts in that bucket (le is inclusive)', async () => {
    const { ours } = await expositions([
      { labels: { method: 'GET', route: '/', status_code: '200' }, value: 0.005 },
    ])
    expect(ours).toContain('d_seconds_bucket{le="0.0025",method="GET",route="/",status_code="200"} 0')
    expect(ours).toContain('d_seconds_bucket{le="0.005",method="GET",route="/",status_code="200"} 1')
    expect(ours).toContain('d_seconds_bucket{le="+Inf",method="GET",route="/",status_code="200"} 1')
  })

  it('when the same label set is resolved twice, in any key order, then both observers feed one series', async () => {
    const registry = new Registry()
    const h = new SeriesHistogram('d_seconds', 'durations', BUCKETS, registry)
    h.series({ method: 'GET', route: '/', status_code: '200' })(0.002)
    h.series({ status_code: '200', route: '/', method: 'GET' })(3)
    const text = await registry.metrics()
    expect(text).toContain('d_seconds_count{method="GET",route="/",status_code="200"} 2')
    expect(text).toContain('d_seconds_sum{method="GET",route="/",status_code="200"} 3.002')
    expect(text.match(/d_seconds_count/g)).toHaveLength(1)
  })

  it('when reset then every series reads zero and the observers handed out still record', async () => {
    const registry = new Registry()
    const h = new SeriesHistogram('d_seconds', 'durations', BUCKETS, registry)
    const observe = h.series({ route: '/' })
    observe(0.3)
    registry.resetMetrics()
    expect(await registry.metrics()).toContain('d_seconds_count{route="/"} 0')
    observe(0.3)
    expect(await registry.metrics()).toContain('d_seconds_bucket{le="0.5",route="/"} 1')
  })

  it('when a value is not a finite number then it is left out instead of corrupting the sum', async () => {
    const registry = new Registry()
    const observe = new SeriesHistogram('d_seconds', 'durations', BUCKETS, registry).series({ route: '/' })
    observe(Number.NaN)
    observe(Number.POSITIVE_INFINITY)
    observe(0.2)
    const text = await registry.metrics()
    expect(text).toContain('d_seconds_count{route="/"} 1')
    expect(text).toContain('d_seconds_sum{route="/"} 0.2')
  })

  it('when the buckets are not increasing or not finite then it refuses to be made', () => {
    const registry = new Registry()
    expect(() => new SeriesHistogram('a', 'h', [0.1, 0.1], registry)).toThrow(/increasing/)
    expect(() => new SeriesHistogram('b', 'h', [0.1, Number.POSITIVE_INFINITY], registry)).toThrow(/finite/)
  })

  it('when a metric of the same name is already registered then registering fails as for prom-client metrics', () => {
    const registry = new Registry()
    new SeriesHistogram('d_seconds', 'h', BUCKETS, registry)
    expect(() => new SeriesHistogram('d_seconds', 'h', BUCKETS, registry)).toThrow(/already been registered/)
  })
})

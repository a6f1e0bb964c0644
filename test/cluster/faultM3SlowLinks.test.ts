import { expect, it, onTestFinished } from 'vitest'
import { expectConverged, readLogByResume } from '../support/clusterConvergence.js'
import { faultFor, writersOnEveryInstance } from '../support/clusterScenario.js'
import { Workload } from '../support/clusterWorkload.js'
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js'
import { createTestSchema } from '../support/postgres.js'
import { testRedisUrl } from '../support/redis.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'

// [M3] Slow links to PostgreSQL and Redis (../shared/reliability.md): instance 1 reaches both
// through TCP fault proxies that add 200 ms each way, then stall for 5 s. Acks are delayed,
// never wrong; a client whose op gets no answer within 2 s sends it again under the same opId
// and it is stored once; after healing, instance 1's ack p99 is back within 5 s.

const ANSWER_TIMEOUT_MS = 2_000
const LATENCY_MS = 200
const STALL_MS = 5_000

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? Infinity
}
const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

async function proxyTo(url: string, defaultPort: string): Promise<{ proxy: FaultProxy; url: string }> {
  const target = new URL(url)
  const proxy = await startFaultProxy(`http://${target.hostname}:${target.port || defaultPort}`)
  const via = new URL(url)
  via.hostname = '127.0.0.1'
  via.port = new URL(proxy.baseUrl).port
  return { proxy, url: via.toString() }
}

it('[M3] when the links of an instance to PostgreSQL and Redis get 200 ms slower and then stall for 5 s then acks are delayed but right, unanswered ops retried under their opId are stored once, and the ack p99 recovers within 5 s of healing', async () => {
  const seed = seedFromEnv('M3_SEED', 20_261_212)
  const schema = await createTestSchema()
  const pg = await proxyTo(schema.url, '5432')
  const redis = await proxyTo(testRedisUrl(), '6379')
  const links = [pg.proxy, redis.proxy]
  const { cluster, canvasId, owner, replicas, instanceOf, instanceOfLabel } = await writersOnEveryInstance({
    bus: 'redis',
    instances: 2,
    writers: 8,
    nginx: false,
    databaseUrl: schema.url,
    instanceEnv: (index): Record<string, string> =>
      index === 1 ? { DATABASE_URL: pg.url, REDIS_URL: redis.url } : {},
  })
  onTestFinished(async () => {
    await cluster.stop()
    await Promise.all(links.map((l) => l.close()))
    await schema.drop()
  })
  const workload = new Workload(replicas, {
    canvasId,
    random: seededRandom(seed),
    endpoint: (r) => cluster.instances[instanceOf(r)]?.baseUrl ?? '',
    opsPerSec: 20,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
  })
  const slowSide = (since: number) =>
    workload.acks
      .filter((a) => instanceOfLabel(a.label) === 1 && a.sentAt >= since)
      .map((a) => a.ackedAt - a.sentAt)

  workload.start()
  await workload.waitForMoreAcks(150)
  const baselineP99 = p99(slowSide(0))

  // 1. 200 ms each way on both links: instance 1's acks wait for PostgreSQL round trips.
  for (const link of links) link.setLatency(LATENCY_MS)
  const slowFrom = performance.now()
  await expect.poll(() => slowSide(slowFrom).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(8)
  expect(median(slowSide(slowFrom)), 'acks over the slow link').toBeGreaterThanOrEqual(LATENCY_MS)

  // 2. Both links stall for 5 s: no answer within 2 s, the clients retry under the same opId.
  for (const link of links) link.setStalled(true)
  await faultFor(STALL_MS)
  for (const link of links) {
    link.setLatency(0)
    link.setStalled(false)
  }
  const healedAt = performance.now()
  expect(workload.events['answer timed out: retried'] ?? 0, JSON.stringify(workload.events)).toBeGreaterThan(
    0,
  )

  // 3. Within 5 s of healing, the last second's acks on instance 1 are back near the baseline.
  const threshold = Math.max(100, 3 * baselineP99)
  await expect
    .poll(
      () => {
        const recent = slowSide(Math.max(healedAt, performance.now() - 1_000))
        return recent.length >= 10 && p99(recent) < threshold
      },
      { timeout: 5_000, interval: 100 },
    )
    .toBe(true)
  const recoveredIn = performance.now() - healedAt
  await workload.stop()

  const last = await expectConverged({ cluster, canvasId, reader: owner, replicas, acked: workload.acked })
  // Every op carries unique coordinates: an op stored twice would appear twice.
  const { entries } = await readLogByResume(cluster.instances[0]?.baseUrl ?? '', canvasId, owner.token)
  const seen = new Map<string, number>()
  for (const entry of entries)
    seen.set(JSON.stringify(entry.op), (seen.get(JSON.stringify(entry.op)) ?? 0) + 1)
  expect([...seen].filter(([, n]) => n > 1)).toEqual([])
  process.stdout.write(
    `[M3] seed=${seed}: ${workload.acks.length} acks, log ${last}; baseline p99 ${Math.round(baselineP99)} ms; ` +
      `recovered ${Math.round(recoveredIn)} ms after healing; events ${JSON.stringify(workload.events)}\n`,
  )
}, 120_000)

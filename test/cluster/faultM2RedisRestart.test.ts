import { Redis } from 'ioredis'
import { expect, it, onTestFinished } from 'vitest'
import { expectConverged } from '../support/clusterConvergence.js'
import { writersOnEveryInstance } from '../support/clusterScenario.js'
import { Workload } from '../support/clusterWorkload.js'
import { startRedisServer } from '../support/redisServer.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'

// [M2] Redis restart / flush mid-load (../shared/reliability.md), on a Redis of the test's own
// (the machine's is shared): SIGKILL and restart it empty, then FLUSHALL, while both instances
// take writes. No acked op is lost and every client converges within 2 s: Redis is not the
// system of record.

it('[M2] when Redis is killed and restarted empty, then flushed, mid-load then no acked op is lost and every client converges within 2 s', async () => {
  const seed = seedFromEnv('M2_SEED', 20_261_211)
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  const { cluster, canvasId, owner, replicas, instanceOf, instanceOfLabel } = await writersOnEveryInstance({
    bus: 'redis',
    instances: 2,
    writers: 8,
    nginx: false,
    redisUrl: redis.url,
  })
  const workload = new Workload(replicas, {
    canvasId,
    random: seededRandom(seed),
    endpoint: (r) => cluster.instances[instanceOf(r)]?.baseUrl ?? '',
    opsPerSec: 25,
  })
  workload.start()
  await workload.waitForMoreAcks(150)

  await redis.restart()
  // Writes go on; cross-instance delivery comes back once the buses have reconnected.
  await workload.waitForMoreAcks(150)
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 })
  onTestFinished(() => admin.disconnect())
  expect(await admin.flushall()).toBe('OK')
  await workload.waitForMoreAcks(150)
  await workload.stop()

  for (const index of [0, 1]) {
    expect(workload.acks.some((a) => instanceOfLabel(a.label) === index)).toBe(true)
  }
  const last = await expectConverged({
    cluster,
    canvasId,
    reader: owner,
    replicas,
    acked: workload.acked,
    withinMs: 2_000,
  })
  process.stdout.write(
    `[M2] seed=${seed}: ${workload.acks.length} acks, log ${last}; events ${JSON.stringify(workload.events)}\n`,
  )
}, 90_000)

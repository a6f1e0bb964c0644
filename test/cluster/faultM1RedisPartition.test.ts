import { expect, it, onTestFinished } from 'vitest'
import { expectConverged } from '../support/clusterConvergence.js'
import { faultFor, writersOnEveryInstance } from '../support/clusterScenario.js'
import { Workload } from '../support/clusterWorkload.js'
import { startFaultProxy } from '../support/faultProxy.js'
import { testRedisUrl } from '../support/redis.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'

// [M1] Partition an instance from Redis (../shared/reliability.md): for 10 s every packet
// between instance 1 and Redis is dropped (a TCP proxy that goes silent both ways, then resets
// the connections that lived through it, as a long partition does) while both instances take
// writes. No acked op is lost, and after healing every client converges within 2 s: the
// entries published into the void come from the log (catch-up), not from pub/sub.

const PARTITION_MS = 10_000

it('[M1] when an instance is cut off from Redis for 10 s while both instances take writes then no acked op is lost and after healing every client converges within 2 s', async () => {
  const seed = seedFromEnv('M1_SEED', 20_261_210)
  const redis = new URL(testRedisUrl())
  const link = await startFaultProxy(`http://${redis.hostname}:${redis.port || '6379'}`)
  onTestFinished(() => link.close())
  const { cluster, canvasId, owner, replicas, instanceOf, instanceOfLabel } = await writersOnEveryInstance({
    bus: 'redis',
    instances: 2,
    writers: 8,
    nginx: false,
    instanceEnv: (index): Record<string, string> =>
      index === 1 ? { REDIS_URL: `redis://127.0.0.1:${new URL(link.baseUrl).port}` } : {},
  })
  const workload = new Workload(replicas, {
    canvasId,
    random: seededRandom(seed),
    endpoint: (r) => cluster.instances[instanceOf(r)]?.baseUrl ?? '',
    opsPerSec: 25,
  })
  workload.start()
  await workload.waitForMoreAcks(100)

  link.setBlackhole(true)
  const before = workload.acks.length
  await faultFor(PARTITION_MS)
  const duringPartition = workload.acks.length - before
  link.setBlackhole(false)
  await workload.stop()

  // Both instances kept acking through the partition: the log is PostgreSQL, not Redis.
  const ackedOn = (index: number) => workload.acks.filter((a) => instanceOfLabel(a.label) === index)
  expect(duringPartition, JSON.stringify(workload.events)).toBeGreaterThan(100)
  expect(ackedOn(0).length).toBeGreaterThan(0)
  expect(ackedOn(1).length).toBeGreaterThan(0)
  const last = await expectConverged({
    cluster,
    canvasId,
    reader: owner,
    replicas,
    acked: workload.acked,
    withinMs: 2_000,
  })
  process.stdout.write(
    `[M1] seed=${seed}: ${workload.acks.length} acks (${duringPartition} during the partition), log ${last}; events ${JSON.stringify(workload.events)}\n`,
  )
}, 90_000)

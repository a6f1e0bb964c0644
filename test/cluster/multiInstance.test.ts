import { describe, expect, it, onTestFinished } from 'vitest'
import type { NewObject } from '../../src/protocol/objects.js'
import { fetchClient } from '../support/apiClient.js'
import { startCluster, type ClusterBus } from '../support/cluster.js'
import { expectConverged, expectPresenceAgrees, type AckedOp } from '../support/clusterConvergence.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'
import { SeqOrderedReplica, type ReplicaOp } from '../support/seqOrderedReplica.js'
import { sharedCanvas } from '../support/sharedCanvas.js'

// Acceptance 2 of issue 23 [SCALE1]: three server processes behind a real nginx, first one
// SQLite file (BUS=sqlite), then PostgreSQL + Redis (BUS=redis); 30 clients spread over them
// edit one canvas at once. At the end every client and /state on every instance hold the same
// objects, every acked op is in the log at its seq, and everyone sees the same 30 people.

const CLIENTS = 30
const SHARED_OBJECTS = 6
const OPS_PER_CLIENT = 15

const rect = (id: string, x: number): NewObject => ({
  id,
  type: 'rect',
  x,
  y: 10,
  width: 40,
  height: 30,
  fill: '#3366ff',
})

describe.each<ClusterBus>(['sqlite', 'redis'])('three instances behind nginx, BUS=%s', (bus) => {
  it(`[SCALE1] when ${CLIENTS} clients spread over three instances edit one canvas at once then every client and every instance's /state hold identical objects, every acked op is in the log at its seq, and presence lists agree`, async () => {
    const seed = seedFromEnv('SCALE1_SEED', 20_261_207)
    const random = seededRandom(seed)
    const cluster = await startCluster({ bus, instances: 3 })
    onTestFinished(() => cluster.stop())
    const api = fetchClient(cluster.baseUrl)
    const { owner, members, canvas } = await sharedCanvas(
      api,
      Array.from({ length: CLIENTS - 1 }, () => 'editor' as const),
    )
    const users = [owner, ...members]
    const replicas = users.map((u, i) => new SeqOrderedReplica(`client${i}`, u.id, u.token))
    onTestFinished(async () => {
      await Promise.all(replicas.map((r) => r.drop()))
    })

    // Every client joins through nginx, all at once.
    await Promise.all(replicas.map((r) => r.connect(cluster.baseUrl, canvas.id, { resume: false })))
    const perInstance = await Promise.all(
      cluster.instances.map(async (i) =>
        metricValue(await scrapeMetrics(fetchClient(i.baseUrl)), 'ws_connections'),
      ),
    )
    expect(
      perInstance.every((n) => (n ?? 0) >= 1),
      `every instance holds some of the sockets: ${JSON.stringify(perInstance)}`,
    ).toBe(true)
    expect(perInstance.reduce((a, n) => (a ?? 0) + (n ?? 0), 0)).toBe(CLIENTS)
    await expectPresenceAgrees(
      replicas,
      users.map((u) => u.id),
    )

    // Objects every client updates, so writes to one object race across instances.
    const acked: AckedOp[] = []
    const submit = async (replica: SeqOrderedReplica, op: ReplicaOp) => {
      const outcome = await replica.submit(op, 15_000)
      expect(outcome, `${replica.label} ${JSON.stringify(op)}`).toMatchObject({ ok: true })
      if (outcome.ok) acked.push({ opId: `${replica.label}-${acked.length}`, op, seq: outcome.seq })
    }
    const shared = Array.from({ length: SHARED_OBJECTS }, (_, k) => `shared-${k}`)
    for (const [k, id] of shared.entries())
      await submit(replicas[0] as SeqOrderedReplica, { kind: 'create', object: rect(id, k) })

    const plans = replicas.map((replica, i) => {
      const own = `own-${i}`
      const ops: ReplicaOp[] = [{ kind: 'create', object: rect(own, i) }]
      for (let n = 1; n < OPS_PER_CLIENT; n++) {
        const target = random.next() < 0.7 ? (shared[random.int(0, SHARED_OBJECTS - 1)] as string) : own
        ops.push({ kind: 'update', id: target, changes: { x: random.int(0, 2000), y: random.int(0, 2000) } })
      }
      if (i % 3 === 0) ops.push({ kind: 'delete', id: own })
      return { replica, ops }
    })
    await Promise.all(
      plans.map(async ({ replica, ops }) => {
        for (const op of ops) await submit(replica, op)
      }),
    )

    const last = await expectConverged({ cluster, canvasId: canvas.id, reader: owner, replicas, acked })
    expect(last, `seed ${seed}`).toBe(acked.length)
    await expectPresenceAgrees(
      replicas,
      users.map((u) => u.id),
    )
  }, 180_000)
})

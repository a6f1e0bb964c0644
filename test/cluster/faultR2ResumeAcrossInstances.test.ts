import { describe, expect, it, onTestFinished } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { startCluster, type ClusterBus } from '../support/cluster.js'
import { applyLog, expectConverged, readLogByResume } from '../support/clusterConvergence.js'
import { Workload } from '../support/clusterWorkload.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'
import { SeqOrderedReplica } from '../support/seqOrderedReplica.js'
import { sharedCanvas } from '../support/sharedCanvas.js'

// [R2] Resume across instances and across a server kill (../shared/reliability.md): a client
// that was away while others wrote 1,000 ops comes back with its lastSeq on another instance and
// gets exactly what it missed, in order, once each, ending where auth-success says.

const MISSED = 1_000

describe.each<ClusterBus>(['sqlite', 'redis'])('[R2] resume on another instance, BUS=%s', (bus) => {
  it(`[R2] when a client misses ${MISSED} ops and resumes on the other instance (after a drop, then after its instance is SIGKILLed) then it gets exactly the missing ops in order without duplicates and equals the server`, async () => {
    const seed = seedFromEnv('R2_SEED', 20_261_209)
    const cluster = await startCluster({ bus, instances: 2 })
    onTestFinished(() => cluster.stop())
    const [first, second] = cluster.instances as [
      (typeof cluster.instances)[0],
      (typeof cluster.instances)[0],
    ]
    const { owner, members, canvas } = await sharedCanvas(fetchClient(cluster.baseUrl), ['editor', 'editor'])
    const away = new SeqOrderedReplica('away', owner.id, owner.token)
    const writers = members.map((m, i) => new SeqOrderedReplica(`writer${i}`, m.id, m.token))
    onTestFinished(async () => {
      await Promise.all([away, ...writers].map((r) => r.drop()))
    })
    // Writers on the second instance, which survives; the client that goes away starts on the first.
    await Promise.all(writers.map((w) => w.connect(second.baseUrl, canvas.id, { resume: false })))
    await away.connect(first.baseUrl, canvas.id, { resume: false })
    const workload = new Workload(writers, {
      canvasId: canvas.id,
      random: seededRandom(seed),
      endpoint: () => second.baseUrl,
      opsPerSec: 1_000,
    })

    const writeWhileAway = async () => {
      const target = workload.acks.length + MISSED
      workload.start()
      await workload.waitForMoreAcks(MISSED, 60_000)
      await workload.stop()
      expect(workload.acks.length).toBeGreaterThanOrEqual(target)
    }
    const rejoinOnSecond = async (what: string) => {
      const before = away.seq
      const kind = await away.connect(second.baseUrl, canvas.id, { resume: true })
      expect(kind, `${what}: resumed, not a full reload`).toBe('resumed')
      const log = await readLogByResume(second.baseUrl, canvas.id, owner.token)
      expect(away.seq, `${what}: at the log's end after the resume`).toBe(log.seq)
      expect(away.seq - before, `${what}: received what it missed`).toBeGreaterThanOrEqual(MISSED)
      expect(away.problems, away.describe()).toEqual([])
      expect(away.objects).toEqual(applyLog(log.entries))
    }

    // 1. Some shared history, then the client drops (a network failure) and resumes elsewhere.
    workload.start()
    await workload.waitForMoreAcks(50)
    await workload.stop()
    await away.waitForSeq(workload.acks.at(-1)?.seq ?? 0)
    await away.drop()
    await writeWhileAway()
    await rejoinOnSecond('after a drop')

    // 2. The client is back on the first instance, which is then SIGKILLed.
    await away.drop()
    await away.connect(first.baseUrl, canvas.id, { resume: true })
    const killed = cluster.kill(0)
    await away.waitForDisconnect()
    expect((await killed).signal).toBe('SIGKILL')
    await writeWhileAway()
    await rejoinOnSecond('after its instance was killed')

    await expectConverged({
      cluster,
      canvasId: canvas.id,
      reader: owner,
      replicas: [away, ...writers],
      acked: workload.acked,
    })
  }, 120_000)
})

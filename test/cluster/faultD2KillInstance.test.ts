import { describe, expect, it, onTestFinished } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { startCluster, type ClusterBus } from '../support/cluster.js'
import { expectConverged, expectPresenceAgrees } from '../support/clusterConvergence.js'
import { Workload } from '../support/clusterWorkload.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'
import { SeqOrderedReplica } from '../support/seqOrderedReplica.js'
import { sharedCanvas } from '../support/sharedCanvas.js'

// [D2] SIGKILL one instance of two mid-run (../shared/reliability.md): its clients reconnect
// through nginx to the survivor and resume; nothing acked is lost; every client equals the
// log; the users who do not come back disappear from the others' presence within the bound.

const WRITERS = 8
/** Presence of a dead instance expires after BUS_PRESENCE_EXPIRY_MS (docs/scaling.md). */
const PRESENCE = { heartbeatMs: 500, expiryMs: 1_500 }

describe.each<ClusterBus>(['sqlite', 'redis'])('[D2] SIGKILL an instance, BUS=%s', (bus) => {
  it('[D2] when one of two instances is SIGKILLed mid-run then its clients resume on the other through nginx, no acked op is lost, everyone converges within 2 s, and the users who left vanish from presence within the expiry', async () => {
    const seed = seedFromEnv('D2_SEED', 20_261_208)
    const random = seededRandom(seed)
    const cluster = await startCluster({
      bus,
      instances: 2,
      env: {
        BUS_PRESENCE_HEARTBEAT_MS: String(PRESENCE.heartbeatMs),
        BUS_PRESENCE_EXPIRY_MS: String(PRESENCE.expiryMs),
      },
    })
    onTestFinished(() => cluster.stop())
    const api = fetchClient(cluster.baseUrl)
    const { owner, members, canvas } = await sharedCanvas(
      api,
      Array.from({ length: WRITERS - 1 }, () => 'editor' as const),
    )
    const users = [owner, ...members]
    const replicas = users.map((u, i) => new SeqOrderedReplica(`w${i}`, u.id, u.token))
    onTestFinished(async () => {
      await Promise.all(replicas.map((r) => r.drop()))
    })
    await Promise.all(replicas.map((r) => r.connect(cluster.baseUrl, canvas.id, { resume: false })))
    const sockets = await Promise.all(
      cluster.instances.map(async (i) =>
        metricValue(await scrapeMetrics(fetchClient(i.baseUrl)), 'ws_connections'),
      ),
    )
    expect(sockets, 'nginx spread the clients over both instances').toEqual([
      expect.any(Number),
      expect.any(Number),
    ])
    expect(Math.min(...(sockets as number[])), JSON.stringify(sockets)).toBeGreaterThan(0)

    // Of the killed instance's clients, the first to notice stays away; the others come back.
    let killed = false
    const gone = new Set<SeqOrderedReplica>()
    const workload = new Workload(replicas, {
      canvasId: canvas.id,
      random,
      endpoint: () => cluster.baseUrl,
      opsPerSec: 40,
      stayAway: (replica) => {
        if (!killed) return false
        if (gone.size === 0 || gone.has(replica)) gone.add(replica)
        return gone.has(replica)
      },
    })
    workload.start()
    await workload.waitForMoreAcks(100 + random.int(0, 200))
    const victim = random.int(0, 1)
    killed = true
    const killedAt = performance.now()
    const exit = await cluster.kill(victim)
    expect(exit.signal).toBe('SIGKILL')
    // Writes go on, and the killed instance's clients (but one) rejoin and write again.
    await workload.waitForMoreAcks(300)
    await expect
      .poll(() => replicas.filter((r) => !r.connected && !gone.has(r)).length, { timeout: 10_000 })
      .toBe(0)
    await workload.waitForMoreAcks(50)
    await workload.stop()
    expect(gone.size, `the killed instance had clients; events ${JSON.stringify(workload.events)}`).toBe(1)
    expect(workload.events.reconnected ?? 0).toBeGreaterThan(0)

    const stayed = replicas.filter((r) => !gone.has(r))
    const last = await expectConverged({
      cluster,
      canvasId: canvas.id,
      reader: owner,
      replicas: stayed,
      acked: workload.acked,
      withinMs: 2_000,
    })
    expect(last).toBeGreaterThanOrEqual(workload.acks.length)
    // The user who stayed away is gone for the others within the expiry (plus a heartbeat and
    // a second of slack for a loaded machine), counted from the kill.
    const bound = PRESENCE.expiryMs + PRESENCE.heartbeatMs + 1_000
    await expectPresenceAgrees(
      stayed,
      stayed.map((r) => r.userId),
      Math.max(1, killedAt + bound - performance.now()),
    )
    process.stdout.write(
      `[D2] BUS=${bus} seed=${seed}: killed instance ${victim}; ${workload.acks.length} acks, log ${last} entries; ` +
        `presence settled ${Math.round(performance.now() - killedAt)} ms after the kill; events ${JSON.stringify(workload.events)}\n`,
    )
  }, 120_000)
})

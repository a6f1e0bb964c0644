import { onTestFinished } from 'vitest'
import { fetchClient } from './apiClient.js'
import { startCluster, type Cluster, type ClusterOptions } from './cluster.js'
import type { TestUser } from './fixtures.js'
import { SeqOrderedReplica } from './seqOrderedReplica.js'
import { sharedCanvas } from './sharedCanvas.js'

export interface WritersOnEveryInstance {
  cluster: Cluster
  canvasId: string
  owner: TestUser
  replicas: SeqOrderedReplica[]
  /** The instance replica `i` connects to (directly, not through nginx): i mod instances. */
  instanceOf: (replica: SeqOrderedReplica) => number
  /** The instance of the replica labelled `label` (acks carry the label). */
  instanceOfLabel: (label: string) => number
}

/**
 * The start of the transport fault tests [M1–M4]: a cluster, one canvas, `writers` editors
 * dealt round robin onto the instances directly, so every instance takes writes and every
 * instance's clients depend on cross-instance delivery. Everything is reaped when the test ends.
 */
export async function writersOnEveryInstance(
  options: ClusterOptions & { writers: number },
): Promise<WritersOnEveryInstance> {
  const cluster = await startCluster(options)
  onTestFinished(() => cluster.stop())
  const { owner, members, canvas } = await sharedCanvas(
    fetchClient(cluster.instances[0]?.baseUrl ?? ''),
    Array.from({ length: options.writers - 1 }, () => 'editor' as const),
  )
  const users = [owner, ...members]
  const replicas = users.map((u, i) => new SeqOrderedReplica(`w${i}`, u.id, u.token))
  onTestFinished(async () => {
    await Promise.all(replicas.map((r) => r.drop()))
  })
  const instanceOf = (replica: SeqOrderedReplica) => replicas.indexOf(replica) % options.instances
  await Promise.all(
    replicas.map((r) =>
      r.connect(cluster.instances[instanceOf(r)]?.baseUrl ?? '', canvas.id, { resume: false }),
    ),
  )
  const byLabel = new Map(replicas.map((r) => [r.label, instanceOf(r)]))
  const instanceOfLabel = (label: string) => byLabel.get(label) ?? -1
  return { cluster, canvasId: canvas.id, owner, replicas, instanceOf, instanceOfLabel }
}

/** The fault's duration: the test is about what happens during it (not a synchronisation wait). */
export function faultFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

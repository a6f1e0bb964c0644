import type { AckedOp } from './clusterConvergence.js'
import type { SeededRandom } from './seededRandom.js'
import type { OpOutcome, ReplicaOp, SeqOrderedReplica } from './seqOrderedReplica.js'

/**
 * Writers for the multi-instance fault tests [D2][R2][M1–M4]: each replica sends creates and
 * updates one at a time, paced, as a client would; an op whose answer does not come in time is
 * sent again under the same opId (idempotent retry); a replica whose socket closed reconnects
 * (resuming from its lastSeq) through `endpoint(replica)` unless `stayAway(replica)` says it is
 * gone for good. Every ack is recorded with its seq and send time.
 */

export interface TimedAck extends AckedOp {
  label: string
  /** performance.now() at the first send and at the ack. */
  sentAt: number
  ackedAt: number
}

export interface WorkloadOptions {
  canvasId: string
  random: SeededRandom
  /** Where a replica (re)connects: nginx, or one instance. */
  endpoint(replica: SeqOrderedReplica): string
  /** Ops per second per writer. */
  opsPerSec: number
  /** A send without answer this long is retried under the same opId. */
  answerTimeoutMs?: number
  /** Asked when a replica's socket has closed: true leaves it disconnected. */
  stayAway?(replica: SeqOrderedReplica): boolean
}

export class Workload {
  readonly acks: TimedAck[] = []
  /** Error codes of refused ops, connection losses and retries, by name. */
  readonly events: Record<string, number> = {}
  private running = false
  private loops: Promise<void>[] = []
  /** Objects whose create was acked: what updates target. */
  private readonly objects: string[] = []
  private readonly waiters = new Set<() => void>()
  private counter = 0

  constructor(
    private readonly replicas: readonly SeqOrderedReplica[],
    private readonly options: WorkloadOptions,
  ) {}

  get acked(): AckedOp[] {
    return this.acks.map(({ opId, op, seq }) => ({ opId, op, seq }))
  }

  start(): void {
    this.running = true
    this.loops = this.replicas.map((r) => this.write(r))
  }

  /** Stops sending; resolves once every writer's last op is answered or given up. */
  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }

  /** Resolves once `count` acks more than now have arrived, or rejects after `timeoutMs`. */
  async waitForMoreAcks(count: number, timeoutMs = 20_000): Promise<void> {
    const target = this.acks.length + count
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.acks.length < target) return
        finish()
        resolve()
      }
      const timer = setTimeout(() => {
        finish()
        reject(
          new Error(
            `${this.acks.length} of ${target} acks after ${timeoutMs} ms; ${JSON.stringify(this.events)}`,
          ),
        )
      }, timeoutMs)
      const finish = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** Ack latencies (ms) of the acks received after `since` (performance.now()). */
  latenciesSince(since: number): number[] {
    return this.acks.filter((a) => a.ackedAt >= since).map((a) => a.ackedAt - a.sentAt)
  }

  private count(event: string): void {
    this.events[event] = (this.events[event] ?? 0) + 1
  }

  private nextOp(replica: SeqOrderedReplica): ReplicaOp {
    const { random } = this.options
    this.counter += 1
    // Unique coordinates per op, so an op stored twice would show as two entries.
    const x = this.counter
    if (this.objects.length === 0 || random.next() < 0.2) {
      return {
        kind: 'create',
        object: { id: `${replica.label}-o${this.counter}`, type: 'rect', x, y: 0, width: 20, height: 20 },
      }
    }
    const id = this.objects[random.int(0, this.objects.length - 1)] as string
    return { kind: 'update', id, changes: { x, y: random.int(0, 1000) } }
  }

  private async write(replica: SeqOrderedReplica): Promise<void> {
    const period = 1000 / this.options.opsPerSec
    const timeout = this.options.answerTimeoutMs ?? 5_000
    while (this.running) {
      if (!replica.connected) {
        if (this.options.stayAway?.(replica) === true) return
        try {
          await replica.connect(this.options.endpoint(replica), this.options.canvasId, { resume: true })
          this.count('reconnected')
        } catch {
          this.count('reconnect failed')
          await pause(50)
        }
        continue
      }
      const op = this.nextOp(replica)
      const opId = replica.nextOpId()
      const sentAt = performance.now()
      let outcome: OpOutcome | undefined
      try {
        outcome = await replica.submitAs(opId, op, timeout)
      } catch (err) {
        // No answer in time, connection still open: the same op again, same opId.
        if (replica.connected && /no answer/.test(String(err))) {
          this.count('answer timed out: retried')
          outcome = await this.retry(replica, opId, op, timeout)
        } else {
          // The socket closed with the op unanswered: it may or may not be in the log.
          this.count('connection lost with an op in flight')
          continue
        }
      }
      if (outcome === undefined) continue
      if (outcome.ok) {
        this.acks.push({
          label: replica.label,
          opId,
          op,
          seq: outcome.seq,
          sentAt,
          ackedAt: performance.now(),
        })
        if (op.kind === 'create') this.objects.push(op.object.id)
        for (const wake of this.waiters) wake()
      } else this.count(`refused: ${outcome.code}`)
      await pause(period)
    }
  }

  /** Resends under the same opId until answered or the connection is gone. */
  private async retry(
    replica: SeqOrderedReplica,
    opId: string,
    op: ReplicaOp,
    timeoutMs: number,
  ): Promise<OpOutcome | undefined> {
    while (replica.connected) {
      try {
        return await replica.resubmit(opId, op, timeoutMs)
      } catch (err) {
        if (!/no answer/.test(String(err))) return undefined
        this.count('answer timed out: retried')
      }
    }
    return undefined
  }
}

/** The writers' pacing between ops (load generation, not synchronisation). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

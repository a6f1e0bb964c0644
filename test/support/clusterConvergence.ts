import { expect } from 'vitest'
import WebSocket from 'ws'
import type { RoomEvent, ServerMessage } from '../../src/protocol/messages.js'
import type { NewObject } from '../../src/protocol/objects.js'
import { fetchClient } from './apiClient.js'
import type { Cluster } from './cluster.js'
import type { TestUser } from './fixtures.js'
import { applyReplicaOp, propsOf, type ReplicaOp, type SeqOrderedReplica } from './seqOrderedReplica.js'
import { canvasState } from './sharedCanvas.js'

/**
 * What the multi-instance and fault tests check at the end (acceptance 2 and 3 of issue 23):
 * the log holds every acked op at its acked seq with no gap, and every client and every
 * instance's /state equal the log applied in order.
 */

/** An op whose ack the client received, with that seq. */
export interface AckedOp {
  opId: string
  op: ReplicaOp
  seq: number
}

/** A log entry as a resuming client receives it. */
export interface LogEntry {
  seq: number
  op: ReplicaOp
}

function opOf(event: RoomEvent): ReplicaOp {
  switch (event.type) {
    case 'object-created':
      return { kind: 'create', object: propsOf(event.object) }
    case 'object-updated':
      return { kind: 'update', id: event.id, changes: event.changes }
    case 'object-deleted':
      return { kind: 'delete', id: event.id }
    default:
      return event satisfies never
  }
}

/**
 * The canvas's log, read the way any client can on any instance: a join with `lastSeq: 0`, to
 * which the server answers with every entry, then auth-success with `resumed`. Fails when the
 * server sends the full state instead (the log no longer reaches back to seq 1).
 */
export async function readLogByResume(
  baseUrl: string,
  canvasId: string,
  token: string,
  timeoutMs = 10_000,
): Promise<{ entries: LogEntry[]; seq: number }> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/${canvasId}`)
  const entries: LogEntry[] = []
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no resumed auth-success within ${timeoutMs} ms (${entries.length} entries)`)),
        timeoutMs,
      )
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', token, lastSeq: 0 })))
      socket.on('message', (data) => {
        const message = JSON.parse(textOf(data)) as ServerMessage
        for (const m of message.type === 'batch' ? message.messages : [message]) {
          if (m.type === 'object-created' || m.type === 'object-updated' || m.type === 'object-deleted') {
            entries.push({ seq: m.seq, op: opOf(m) })
          } else if (m.type === 'auth-success') {
            clearTimeout(timer)
            if (m.resumed !== true)
              reject(new Error(`the log does not reach back to seq 1: full state at ${m.seq}`))
            else resolve({ entries, seq: m.seq })
          } else if (m.type === 'error') {
            clearTimeout(timer)
            reject(new Error(`resume refused: ${JSON.stringify(m)}`))
          }
        }
      })
    })
  } finally {
    socket.terminate()
  }
}

/** The log applied in seq order: what every copy of the canvas must equal. */
export function applyLog(entries: readonly LogEntry[]): Map<string, NewObject> {
  const objects = new Map<string, NewObject>()
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) applyReplicaOp(objects, entry.op)
  return objects
}

/** Whether the entry is the op the client sent (a create by its object id, the rest by id and fields). */
function sameOp(entry: ReplicaOp, sent: ReplicaOp): boolean {
  if (entry.kind !== sent.kind) return false
  if (entry.kind === 'create' && sent.kind === 'create') return entry.object.id === sent.object.id
  if (entry.kind === 'update' && sent.kind === 'update')
    return entry.id === sent.id && JSON.stringify(entry.changes) === JSON.stringify(sent.changes)
  return entry.kind === 'delete' && sent.kind === 'delete' && entry.id === sent.id
}

const sortedProps = (objects: Map<string, NewObject>) =>
  [...objects.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

/**
 * After the last write: every connected replica reaches the highest acked seq, then the log's
 * last seq, within `withinMs`, and then
 * - the log (read on instance 0 by resume) has seqs 1…N without gap or duplicate;
 * - every acked op is the entry at its acked seq;
 * - every replica, and GET /state on every live instance, equal the log applied in order.
 * Returns the log's length.
 */
export async function expectConverged(options: {
  cluster: Cluster
  canvasId: string
  reader: TestUser
  replicas: readonly SeqOrderedReplica[]
  acked: readonly AckedOp[]
  withinMs?: number
}): Promise<number> {
  const { cluster, canvasId, reader, replicas, acked } = options
  const live = cluster.instances.filter((i) => i.alive())
  const viaInstance = live[0]
  if (!viaInstance) throw new Error('no live instance')
  // Right after a fault heals, an instance may still be catching up from the log: first every
  // replica reaches the highest acked seq (the convergence bound), then the log is read through
  // an instance, which by then holds everything acked anywhere.
  const highestAck = Math.max(0, ...acked.map((a) => a.seq))
  await Promise.all(
    replicas.filter((r) => r.connected).map((r) => r.waitForSeq(highestAck, options.withinMs ?? 10_000)),
  )
  const log = await readLogByResume(viaInstance.baseUrl, canvasId, reader.token)
  const seqs = log.entries.map((e) => e.seq)
  expect(seqs, 'log seqs 1…N, no gap, no duplicate').toEqual(seqs.map((_, i) => i + 1))
  expect(log.seq, 'auth-success seq = the last entry').toBe(seqs.length)
  const bySeq = new Map(log.entries.map((e) => [e.seq, e.op]))
  const missing = acked.filter((a) => {
    const entry = bySeq.get(a.seq)
    return entry === undefined || !sameOp(entry, a.op)
  })
  expect(
    missing.map((a) => ({ ...a, inLog: bySeq.get(a.seq) })),
    `acked ops missing from the log (of ${acked.length} acked; log ${log.seq} entries)`,
  ).toEqual([])
  // The highest acked seq is in the log, and nothing acked is ahead of it.
  const last = log.seq
  await Promise.all(
    replicas.filter((r) => r.connected).map((r) => r.waitForSeq(last, options.withinMs ?? 10_000)),
  )
  const expected = sortedProps(applyLog(log.entries))
  for (const replica of replicas.filter((r) => r.connected)) {
    expect(replica.problems, replica.describe()).toEqual([])
    expect(sortedProps(replica.objects), replica.label).toEqual(expected)
  }
  for (const instance of live) {
    const state = await canvasState(fetchClient(instance.baseUrl), canvasId, reader)
    expect(state.seq, `instance ${instance.index} /state seq`).toBe(last)
    expect(
      state.objects.map((o) => propsOf(o)).sort((a, b) => (a.id < b.id ? -1 : 1)),
      `instance ${instance.index} /state`,
    ).toEqual(expected)
  }
  return last
}

/**
 * Every connected replica is told exactly `userIds` are on the canvas (itself included),
 * within `withinMs`.
 */
export async function expectPresenceAgrees(
  replicas: readonly SeqOrderedReplica[],
  userIds: readonly string[],
  withinMs = 10_000,
): Promise<void> {
  const want = [...userIds].sort()
  const seen = (r: SeqOrderedReplica) => [...new Set([...r.present.keys(), r.userId])].sort()
  await Promise.all(
    replicas
      .filter((r) => r.connected)
      .map((r) =>
        r
          .waitUntil(
            () => JSON.stringify(seen(r)) === JSON.stringify(want),
            `told the presence list`,
            withinMs,
          )
          .catch(() => {
            expect(seen(r), `${r.label}'s presence list`).toEqual(want)
          }),
      ),
  )
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}

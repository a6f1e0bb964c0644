import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyEntry } from '../../../src/core/room/applyEntry.js'
import { decideBatch } from '../../../src/core/room/decideOp.js'
import { opFromMessage } from '../../../src/core/room/opFromMessage.js'
import { entryEvent } from '../../../src/core/room/entryEvent.js'
import type { LogEntry, Op } from '../../../src/core/room/logEntry.js'
import { emptyRoom, objectsOf, type RoomState } from '../../../src/core/room/roomState.js'
import {
  parseClientMessage,
  type ClientOpMessage,
  type UnbatchedServerMessage,
} from '../../../src/protocol/messages.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import {
  addPending,
  applyAck,
  applyAuthSuccess,
  applyServerEvent,
  dropPending,
  emptyClientState,
  optimisticView,
  type ClientState,
} from '../../../src/web/sync/clientState.js'
import { opMessage, type PendingOp } from '../../../src/web/sync/pendingOp.js'

/**
 * SYNC6 against the server's own rules: one client under test (the pure core, driven the way
 * syncEngine.ts drives it) and a remote writer share a model server built from decideBatch and
 * applyEntry. The wire to the client behaves as the real one does: acks and errors go out at
 * commit, broadcasts wait in a fan-out buffer until a flush, so acks may overtake events; a
 * disconnect loses everything in flight both ways; a reconnect resumes from the client's seq or
 * sends the whole canvas, then the client resends every pending op with its opId.
 */

const SEED = Number(process.env.FC_SEED ?? 20261128)
const ME = 'me'
const REMOTE = 'remote'
const IDS = ['a', 'b', 'c'] as const
const AT = '2026-01-01T00:00:00.000Z'

type Action =
  | { kind: 'local'; op: Op }
  | { kind: 'remote'; op: Op }
  | { kind: 'toServer' }
  | { kind: 'flushFanOut' }
  | { kind: 'toClient' }
  | { kind: 'disconnect' }
  | { kind: 'reconnect'; resume: boolean }

const idArb = fc.constantFrom(...IDS)
const changesArb = fc
  .record(
    {
      x: fc.integer({ min: -50, max: 50 }),
      fill: fc.constantFrom('#f00', '#0f0', '#00f'),
      parentId: fc.constantFrom(null, ...IDS),
    },
    { requiredKeys: [] },
  )
  .filter((changes) => Object.keys(changes).length > 0)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    object: fc.record({
      id: idArb,
      type: fc.constant('rect' as const),
      x: fc.integer({ min: -50, max: 50 }),
    }),
  }),
  {
    arbitrary: fc.record({ kind: fc.constant('update' as const), id: idArb, changes: changesArb }),
    weight: 3,
  },
  fc.record({ kind: fc.constant('delete' as const), id: idArb }),
)
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('local' as const), op: opArb }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('remote' as const), op: opArb }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'toServer' as const }), weight: 4 },
  { arbitrary: fc.constant({ kind: 'flushFanOut' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'toClient' as const }), weight: 5 },
  { arbitrary: fc.constant({ kind: 'disconnect' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reconnect' as const), resume: fc.boolean() }), weight: 1 },
)

/** Parsed as the server would parse it: only a checked frame reaches decideBatch. */
function parsed(pending: PendingOp): ClientOpMessage {
  const result = parseClientMessage(JSON.stringify(opMessage(pending)))
  if (!result.ok) throw new Error(`bad op in the model: ${result.message}`)
  return result.message as ClientOpMessage
}

const comparable = (objects: Iterable<CanvasObject>) =>
  [...objects]
    .map(({ updatedAt: _updatedAt, ...rest }) => rest)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

class World {
  server: RoomState = emptyRoom()
  /** Server objects after each seq: the client's confirmed state must match one of them. */
  readonly history = new Map<number, ReturnType<typeof comparable>>([[0, []]])
  readonly log: LogEntry[] = []
  client: ClientState = emptyClientState(ME)
  hasState = false
  joined = false
  connected = false
  toServer: PendingOp[] = []
  fanOut: UnbatchedServerMessage[] = []
  wire: UnbatchedServerMessage[] = []
  private opCount = 0

  run(action: Action): void {
    switch (action.kind) {
      case 'local': {
        this.opCount += 1
        const pending: PendingOp = {
          opId: `op-${this.opCount}`,
          op: action.op,
          at: 0,
          order: this.opCount,
          userId: ME,
        }
        addPending(this.client, pending)
        if (this.joined) this.toServer.push(pending)
        return
      }
      case 'remote': {
        this.opCount += 1
        const pending: PendingOp = { opId: `r-${this.opCount}`, op: action.op, at: 0, order: 0 }
        this.commit(REMOTE, pending)
        return
      }
      case 'toServer': {
        const pending = this.toServer.shift()
        if (pending !== undefined) this.commit(ME, pending)
        return
      }
      case 'flushFanOut':
        this.wire.push(...this.fanOut.splice(0))
        return
      case 'toClient': {
        const message = this.wire.shift()
        if (message !== undefined) this.receive(message)
        return
      }
      case 'disconnect':
        this.connected = false
        this.joined = false
        this.toServer = []
        this.fanOut = []
        this.wire = []
        return
      case 'reconnect':
        if (!this.connected) this.join(action.resume)
        return
      default:
        action satisfies never
    }
  }

  /** Runs until nothing is in flight, connected: what "once all are acked" means. */
  quiesce(): void {
    if (!this.connected) this.join(true)
    for (let guard = 0; this.toServer.length + this.fanOut.length + this.wire.length > 0; guard++) {
      if (guard > 10_000) throw new Error('the model does not quiesce')
      while (this.toServer.length > 0) this.run({ kind: 'toServer' })
      this.run({ kind: 'flushFanOut' })
      while (this.wire.length > 0) this.run({ kind: 'toClient' })
    }
  }

  /** decide → append → apply → ack, as roomHost.commit does for one op. */
  private commit(userId: string, pending: PendingOp): void {
    const [decision] = decideBatch(this.server, [
      { member: { userId, role: 'editor' }, request: opFromMessage(parsed(pending)) },
    ])
    const toSender = userId === ME
    switch (decision?.kind) {
      case 'reject':
        if (toSender)
          this.wire.push({
            type: 'error',
            code: decision.code,
            message: decision.message,
            opId: pending.opId,
          })
        return
      case 'duplicate':
        if (toSender) this.wire.push({ type: 'ack', opId: pending.opId, seq: decision.seq })
        return
      case 'duplicate-pending':
        // One op at a time here: nothing is ever in flight when the next is decided.
        throw new Error('the model never has an op in flight')
      case 'append': {
        const entry: LogEntry = { ...decision.input, canvasId: 'c', seq: this.server.seq + 1, at: 0 }
        this.log.push(entry)
        const { events } = applyEntry(this.server, entry)
        this.history.set(entry.seq, comparable(this.server.objects.values()))
        if (toSender) this.wire.push({ type: 'ack', opId: pending.opId, seq: entry.seq })
        else if (this.connected) this.fanOut.push(...events)
        return
      }
      case 'duplicate-in-batch': // one op per batch here
      case undefined:
        throw new Error(`unexpected decision ${JSON.stringify(decision)}`)
    }
  }

  /** A new socket: the missed entries then a resumed welcome, or the whole canvas (roomHost.join). */
  private join(resume: boolean): void {
    this.connected = true
    this.joined = false
    const welcome = {
      type: 'auth-success' as const,
      userId: ME,
      username: 'me',
      color: '#000',
      role: 'editor' as const,
      seq: this.server.seq,
      users: [],
    }
    if (resume && this.hasState) {
      const missed = this.log.filter((e) => e.seq > this.client.seq).map(entryEvent)
      this.wire.push(...missed, { ...welcome, objects: [], resumed: true })
    } else {
      this.wire.push({ ...welcome, objects: objectsOf(this.server) })
    }
  }

  /** What syncEngine.handleMessage does with each message. */
  private receive(message: UnbatchedServerMessage): void {
    switch (message.type) {
      case 'auth-success':
        expect(applyAuthSuccess(this.client, message)).toBe(true)
        this.hasState = true
        this.joined = true
        this.toServer.push(...this.client.pending)
        break
      case 'ack':
        applyAck(this.client, message.opId, message.seq)
        break
      case 'error':
        if (message.opId !== undefined) dropPending(this.client, message.opId)
        break
      case 'object-created':
      case 'object-updated':
      case 'object-deleted':
        applyServerEvent(this.client, message, AT)
        break
      case 'canvas-updated':
      case 'role-changed':
      case 'cursors':
      case 'selections':
      case 'previews':
      case 'viewports':
      case 'pong':
      case 'user-connected':
      case 'user-disconnected':
        throw new Error(`the model sends no ${message.type}`)
    }
    // SYNC3/SYNC4: whatever arrived, the confirmed objects are the server's at the confirmed seq.
    expect(comparable(this.client.objects.values())).toEqual(this.history.get(this.client.seq))
  }
}

function converges(actions: readonly Action[]): void {
  const world = new World()
  world.run({ kind: 'reconnect', resume: false })
  for (const action of actions) world.run(action)
  world.quiesce()
  expect(world.client.pending).toEqual([])
  expect(world.client.seq).toBe(world.server.seq)
  expect(comparable(optimisticView(world.client).values())).toEqual(comparable(world.server.objects.values()))
}

describe('convergence with the server', () => {
  it('[SYNC6] when local ops, remote ops, acks, refusals, drops and resumes interleave at random, then the client ends equal to the server', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 80 }), (actions) => converges(actions)),
      { seed: SEED, numRuns: 400 },
    )
  })

  it('[SYNC6] when our op is committed, its ack lost with the connection, and resent after a resume, then it applies once', () => {
    converges([
      { kind: 'local', op: { kind: 'create', object: { id: 'a', type: 'rect', x: 1 } } },
      { kind: 'toServer' },
      { kind: 'disconnect' },
      { kind: 'remote', op: { kind: 'update', id: 'a', changes: { x: 7 } } },
      { kind: 'local', op: { kind: 'update', id: 'a', changes: { x: 2 } } },
      { kind: 'reconnect', resume: true },
    ])
  })

  it('[SYNC6] when an ack overtakes a remote event on the same property, then the later seq wins on both sides', () => {
    converges([
      { kind: 'local', op: { kind: 'create', object: { id: 'a', type: 'rect', x: 1 } } },
      { kind: 'toServer' },
      { kind: 'toClient' },
      { kind: 'remote', op: { kind: 'update', id: 'a', changes: { x: 7 } } },
      { kind: 'local', op: { kind: 'update', id: 'a', changes: { x: 2 } } },
      { kind: 'toServer' },
      { kind: 'toClient' },
      { kind: 'flushFanOut' },
    ])
  })
})

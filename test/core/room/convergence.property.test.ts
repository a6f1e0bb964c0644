import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyEntry } from '../../../src/core/room/applyEntry.js'
import { decideBatch, type Member } from '../../../src/core/room/decideOp.js'
import type { LogEntry, Op } from '../../../src/core/room/logEntry.js'
import {
  emptyRoom,
  objectsOf,
  recentOpKey,
  rememberOps,
  roomFromSnapshot,
  stateHash,
  type RoomState,
} from '../../../src/core/room/roomState.js'
import type { RoomEvent } from '../../../src/protocol/messages.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { FC_SEED, changesArb, newObjectArb } from '../../protocol/arbitraries.js'
import { CANVAS, T0, createMsg, deleteMsg, requestItems, updateMsg } from './roomFixtures.js'

const seed = FC_SEED
const IDS = ['a', 'b', 'c', 'd', 'e', 'f']
const MEMBERS: Member[] = [
  { userId: 'u-owner', role: 'owner' },
  { userId: 'u-ed1', role: 'editor' },
  { userId: 'u-ed2', role: 'editor' },
  { userId: 'u-view', role: 'viewer' },
]

const idArb = fc.constantFrom(...IDS)
const parentArb = fc.oneof(idArb, fc.constant(null))

/** One client op: who sends it, its opId (a small pool, so resends happen), and what it does. */
const clientOpArb = fc.record({
  member: fc.integer({ min: 0, max: MEMBERS.length - 1 }),
  opId: fc.integer({ min: 0, max: 30 }).map((n) => `op${n}`),
  op: fc.oneof(
    newObjectArb(idArb).map((object) => ({ kind: 'create' as const, object })),
    fc.record({ kind: fc.constant('update' as const), id: idArb, changes: changesArb(parentArb) }),
    fc.record({ kind: fc.constant('delete' as const), id: idArb }),
  ),
})
type ClientOp = typeof clientOpArb extends fc.Arbitrary<infer T> ? T : never

const sessionArb = fc.array(fc.array(clientOpArb, { minLength: 1, maxLength: 6 }), { maxLength: 25 })

function messageOf({ opId, op }: ClientOp) {
  switch (op.kind) {
    case 'create':
      return createMsg(opId, op.object)
    case 'update':
      // An update must change something [PROTO16].
      return updateMsg(opId, op.id, Object.keys(op.changes).length > 0 ? op.changes : { x: 1 })
    case 'delete':
      return deleteMsg(opId, op.id)
  }
}

function replay(log: readonly LogEntry[], state: RoomState = emptyRoom()) {
  const events: RoomEvent[] = []
  for (const e of log) events.push(...applyEntry(state, e).events)
  return { state, events }
}

/** What a room host does at load: snapshot, refill the dedup window from the log, apply the rest [ROOM21]. */
function loadFromSnapshot(log: readonly LogEntry[], at: number) {
  const before = replay(log.slice(0, at)).state
  const stored = JSON.parse(JSON.stringify({ seq: before.seq, objects: objectsOf(before) })) as {
    seq: number
    objects: CanvasObject[]
  }
  const state = rememberOps(roomFromSnapshot(stored.seq, stored.objects), log)
  return replay(
    log.filter((e) => e.seq > stored.seq),
    state,
  )
}

describe(`room convergence properties (FC_SEED=${seed})`, () => {
  it('[ROOM11] [ROOM21] [ROOM6] when members run random sessions, then every replica of the log converges with the host', () => {
    fc.assert(
      fc.property(sessionArb, fc.nat(), (batches, cut) => {
        const host = emptyRoom()
        const log: LogEntry[] = []
        const hostEvents: RoomEvent[] = []
        for (const batch of batches) {
          const items = batch.map((op) => ({ member: MEMBERS[op.member] as Member, message: messageOf(op) }))
          const before = stateHash(host)
          const decisions = decideBatch(host, requestItems(items))
          expect(stateHash(host)).toBe(before) // decide changes nothing [ROOM6]

          const entries: LogEntry[] = []
          for (const [i, d] of decisions.entries()) {
            const item = items[i] as (typeof items)[number]
            if (d.kind === 'append') {
              entries.push({
                ...d.input,
                canvasId: CANVAS,
                seq: host.seq + entries.length + 1,
                at: T0 + log.length,
              })
            } else if (d.kind === 'duplicate') {
              // A duplicate names the entry that carried the same user's opId [ROOM5].
              const original = log.find((e) => e.seq === d.seq)
              expect([original?.userId, original?.opId]).toEqual([item.member.userId, item.message.opId])
            } else if (d.kind === 'duplicate-in-batch') {
              const first = items[d.index]
              expect(decisions[d.index]?.kind).toBe('append')
              expect([first?.member.userId, first?.message.opId]).toEqual([
                item.member.userId,
                item.message.opId,
              ])
            }
          }
          for (const e of entries) {
            // Decided against this very state, every accepted op takes effect: one event each [ROOM6].
            const { events } = applyEntry(host, e)
            expect(events).toHaveLength(1)
            hostEvents.push(...events)
            log.push(e)
          }
        }

        const a = replay(log)
        const b = replay(log)
        const c = loadFromSnapshot(log, log.length === 0 ? 0 : cut % (log.length + 1))
        expect(stateHash(a.state)).toBe(stateHash(host))
        expect(stateHash(b.state)).toBe(stateHash(host))
        expect(stateHash(c.state)).toBe(stateHash(host))
        expect(objectsOf(c.state)).toEqual(objectsOf(host))
        expect([...c.state.recentOps]).toEqual([...host.recentOps])
        expect(a.events).toEqual(hostEvents)
      }),
      { seed, numRuns: 200 },
    )
  })

  /** Entries as other instances may write them: decided against other states, ids may be missing or taken. */
  const foreignOpArb: fc.Arbitrary<Op> = fc.oneof(
    newObjectArb(idArb).map((object) => ({ kind: 'create' as const, object })),
    fc.record({ kind: fc.constant('update' as const), id: idArb, changes: changesArb(parentArb) }),
    fc.record({ kind: fc.constant('delete' as const), id: idArb }),
  )
  const foreignLogArb = fc
    .array(
      fc.record({
        op: foreignOpArb,
        userId: fc.constantFrom('u1', 'u2', 'u3'),
        opId: fc.integer({ min: 0, max: 20 }).map((n) => `o${n}`),
        at: fc.integer({ min: T0, max: T0 + 1e9 }),
      }),
      { maxLength: 60 },
    )
    .map((rows) => rows.map((row, i): LogEntry => ({ ...row, canvasId: CANVAS, seq: i + 1 })))

  it('[ROOM11] [ROOM14] [ROOM21] when a log holds ops decided on other instances, then replicas and a snapshot load agree', () => {
    fc.assert(
      fc.property(foreignLogArb, fc.nat(), (log, cut) => {
        const a = replay(log)
        const b = replay(log)
        const c = loadFromSnapshot(log, log.length === 0 ? 0 : cut % (log.length + 1))
        expect(a.state.seq).toBe(log.length)
        expect(stateHash(b.state)).toBe(stateHash(a.state))
        expect(stateHash(c.state)).toBe(stateHash(a.state))
        expect([...c.state.recentOps]).toEqual([...a.state.recentOps])
        expect(b.events).toEqual(a.events)
        for (const e of log) expect(a.state.recentOps.has(recentOpKey(e.userId, e.opId))).toBe(true)
      }),
      { seed, numRuns: 250 },
    )
  })

  /** Valid-shaped entries with hostile values: any seq order, any time, ids that exist or not, corrupt keys. */
  const wildEntryArb: fc.Arbitrary<LogEntry> = fc.record({
    canvasId: fc.constant(CANVAS),
    seq: fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(Number.NaN, Number.MAX_SAFE_INTEGER)),
    at: fc.oneof(fc.integer(), fc.double()),
    userId: fc.string({ maxLength: 4 }),
    opId: fc.string({ maxLength: 4 }),
    op: fc.oneof(
      foreignOpArb,
      newObjectArb(fc.string({ maxLength: 3 })).map((object) => ({ kind: 'create' as const, object })),
      fc
        .record({
          kind: fc.constant('update' as const),
          id: fc.oneof(idArb, fc.string({ maxLength: 3 })),
          changes: fc.oneof(
            changesArb(fc.oneof(parentArb, fc.string())),
            fc.dictionary(
              fc.constantFrom('id', 'type', 'version', 'createdBy', 'updatedAt', 'x'),
              fc.anything(),
            ),
          ),
        })
        .map((op) => op as Op),
      fc.record({ kind: fc.string({ maxLength: 6 }), id: idArb }).map((op) => op as unknown as Op),
    ),
  })

  it('[ROOM12] [ROOM13] when arbitrary entries arrive in any order, then apply never throws and state stays sound', () => {
    fc.assert(
      fc.property(fc.array(wildEntryArb, { maxLength: 60 }), (entries) => {
        const state = emptyRoom()
        let maxSeq = 0
        for (const e of entries) {
          const { events } = applyEntry(state, e)
          if (e.seq > maxSeq) maxSeq = e.seq
          else expect(events).toEqual([])
          expect(events.length).toBeLessThanOrEqual(1)
        }
        expect(state.seq).toBe(maxSeq)
        for (const [id, object] of state.objects) {
          expect(object.id).toBe(id)
          expect(object.version).toBeGreaterThanOrEqual(1)
          expect(typeof object.updatedAt).toBe('string')
        }
        expect(typeof stateHash(state)).toBe('string')
        expect(() => objectsOf(state)).not.toThrow()
      }),
      { seed, numRuns: 400 },
    )
  })
})

import { describe, expect, it, onTestFinished } from 'vitest'
import type { LogEntry, Op, OpInput } from '../../src/core/room/logEntry.js'
import type { OpLog } from '../../src/log/opLog.js'
import type { CanvasObject } from '../../src/protocol/objects.js'
import { testClock, type TestClock } from '../support/clock.js'

export interface Harness {
  /** The log under test; after reopen(), the reopened one. */
  readonly log: OpLog
  /** A canvas the log accepts appends for (for SQLite, a real canvases row: the log cascades from it). */
  newCanvas(): Promise<string>
  /** Closes the log and opens a new one on the same storage. Durable implementations only. */
  reopen?(): Promise<OpLog>
  /**
   * Another log object on its own connection to the same storage, as a second server process
   * opens it. Implementations whose storage several processes share only; cleanup() closes it.
   */
  openAnother?(): Promise<OpLog>
  /** Closes the log if still open and deletes its storage. */
  cleanup(): Promise<void>
}

export interface OpLogImplementation {
  name: string
  /** Whether entries outlive the log object: then the harness must offer reopen(). */
  durable: boolean
  /** Whether several processes may append to the same storage: then the harness must offer openAnother(). */
  shared: boolean
  create(options: { now: () => number }): Promise<Harness>
}

const createOp = (id: string): Op => ({
  kind: 'create',
  object: { id, type: 'rect', x: 10, y: 20, width: 30, height: 40, fill: '#ff0000', points: [1, 2, 3, 4] },
})

const input = (opId: string, op: Op = createOp(opId), userId = 'user-1'): OpInput => ({ opId, userId, op })

const seqs = (entries: readonly LogEntry[]) => entries.map((e) => e.seq)
const opIds = (entries: readonly LogEntry[]) => entries.map((e) => e.opId)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

const snapshotObject = (id: string, version: number): CanvasObject => ({
  id,
  type: 'ellipse',
  x: 1,
  y: 2,
  createdBy: 'user-1',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version,
})

/** Every OpLog implementation runs this suite against the real thing (style §4). */
export function registerOpLogContractTests(impl: OpLogImplementation): void {
  describe(`OpLog contract: ${impl.name}`, () => {
    async function start(): Promise<{ h: Harness; clock: TestClock }> {
      const clock = testClock()
      const h = await impl.create({ now: clock.now })
      onTestFinished(() => h.cleanup())
      return { h, clock }
    }

    /** Appends one input per call, one call per turn, awaiting each. */
    async function appendEach(log: OpLog, canvasId: string, ids: readonly string[]): Promise<LogEntry[]> {
      const out: LogEntry[] = []
      for (const id of ids) out.push(...(await log.append(canvasId, [input(id)])))
      return out
    }

    it('[LOG1] when appends follow one another on a canvas, then seqs run 1, 2, 3 and entries carry what was given', async () => {
      const { h, clock } = await start()
      const canvas = await h.newCanvas()
      const first = await h.log.append(canvas, [input('a')])
      clock.advance(5)
      const rest = await appendEach(h.log, canvas, ['b', 'c'])
      expect(first).toEqual([
        { canvasId: canvas, seq: 1, opId: 'a', userId: 'user-1', op: createOp('a'), at: clock.now() - 5 },
      ])
      expect(rest).toEqual([
        { canvasId: canvas, seq: 2, opId: 'b', userId: 'user-1', op: createOp('b'), at: clock.now() },
        { canvasId: canvas, seq: 3, opId: 'c', userId: 'user-1', op: createOp('c'), at: clock.now() },
      ])
    })

    it('[LOG1] when two canvases take appends, then each counts its own seqs from 1', async () => {
      const { h } = await start()
      const [a, b] = [await h.newCanvas(), await h.newCanvas()]
      await appendEach(h.log, a, ['a1', 'a2', 'a3'])
      const onB = await appendEach(h.log, b, ['b1', 'b2'])
      expect(seqs(onB)).toEqual([1, 2])
      expect(await h.log.headSeq(a)).toBe(3)
      expect(await h.log.headSeq(b)).toBe(2)
      expect(opIds(await h.log.readAfter(b, 0))).toEqual(['b1', 'b2'])
    })

    it('[LOG5] when one call appends several inputs, then they get consecutive seqs in the order given', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      await h.log.append(canvas, [input('first')])
      const entries = await h.log.append(canvas, [input('x'), input('y'), input('z')])
      expect(entries.map((e) => [e.seq, e.opId])).toEqual([
        [2, 'x'],
        [3, 'y'],
        [4, 'z'],
      ])
      expect(await h.log.append(canvas, [])).toEqual([])
      expect(await h.log.headSeq(canvas)).toBe(4)
    })

    it('[LOG5] when 500 appends to 5 canvases arrive in one turn, then every canvas gets gapless seqs in call order', async () => {
      const { h } = await start()
      const canvases = await Promise.all(range(1, 5).map(() => h.newCanvas()))
      // Every 7th call carries three inputs: calls keep their entries together.
      const calls = range(0, 499).map((i) => ({
        canvasId: canvases[i % 5] as string,
        inputs: range(1, i % 7 === 0 ? 3 : 1).map((k) => input(`op-${i}-${k}`)),
      }))
      const results = await Promise.all(calls.map((c) => h.log.append(c.canvasId, c.inputs)))
      for (const canvasId of canvases) {
        const inCallOrder = results.filter((_, i) => calls[i]?.canvasId === canvasId).flat()
        expect(seqs(inCallOrder)).toEqual(range(1, inCallOrder.length))
        const expectedIds = calls
          .filter((c) => c.canvasId === canvasId)
          .flatMap((c) => c.inputs.map((x) => x.opId))
        expect(opIds(inCallOrder)).toEqual(expectedIds)
        expect(await h.log.readAfter(canvasId, 0)).toEqual(inCallOrder)
        expect(await h.log.headSeq(canvasId)).toBe(inCallOrder.length)
      }
    })

    it('[LOG3] when reading after a seq with a limit, then entries after it come in ascending order, at most limit', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      await h.log.append(
        canvas,
        range(1, 25).map((i) => input(`op-${i}`)),
      )
      expect(seqs(await h.log.readAfter(canvas, 10, 5))).toEqual([11, 12, 13, 14, 15])
      expect(seqs(await h.log.readAfter(canvas, 22))).toEqual([23, 24, 25])
      expect(await h.log.readAfter(canvas, 25)).toEqual([])
      expect(await h.log.readAfter(canvas, 99)).toEqual([])
      expect(await h.log.readAfter(await h.newCanvas(), 0)).toEqual([])
      // Paging from 0 reaches the head with no gap and no repeat.
      const paged: number[] = []
      for (let page = await h.log.readAfter(canvas, 0, 7); page.length > 0;) {
        paged.push(...seqs(page))
        page = await h.log.readAfter(canvas, paged.at(-1) ?? 0, 7)
      }
      expect(paged).toEqual(range(1, 25))
    })

    it('[LOG3] when no limit is given, then a read returns at most 1000 entries; a limit outside 1..10000 is refused', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      await h.log.append(
        canvas,
        range(1, 1001).map((i) => input(`op-${i}`)),
      )
      const page = await h.log.readAfter(canvas, 0)
      expect(page).toHaveLength(1000)
      expect(page.at(-1)?.seq).toBe(1000)
      for (const bad of [0, -1, 1.5, 10_001, Number.NaN]) {
        await expect(h.log.readAfter(canvas, 0, bad)).rejects.toThrow(RangeError)
      }
    })

    it('[LOG3] when entries are read back, then they equal what append resolved with, for every kind of op', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      const ops: Op[] = [
        {
          kind: 'create',
          object: { id: 't1', type: 'text', text: 'héllo "quoted" \u2603\n', fontSize: 16, parentId: null },
        },
        { kind: 'update', id: 't1', changes: { x: -12.5, rotation: 0.25, points: [], name: '' } },
        { kind: 'delete', id: 't1' },
      ]
      const resolved = await h.log.append(
        canvas,
        ops.map((op, i) => input(`op-${i}`, op, `user-${i}`)),
      )
      expect(await h.log.readAfter(canvas, 0)).toEqual(resolved)
      expect(resolved.map((e) => [e.op, e.userId])).toEqual(ops.map((op, i) => [op, `user-${i}`]))
    })

    it('[LOG4] when a canvas has no entries, then headSeq is 0; after appends it is the highest seq, and trim leaves it', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      expect(await h.log.headSeq(canvas)).toBe(0)
      expect(await h.log.headSeq('no-such-canvas')).toBe(0)
      await appendEach(h.log, canvas, ['a', 'b', 'c', 'd'])
      expect(await h.log.headSeq(canvas)).toBe(4)
      await h.log.trim(canvas, 2)
      expect(await h.log.headSeq(canvas)).toBe(4)
      await h.log.trim(canvas, 4)
      expect(await h.log.headSeq(canvas)).toBe(4)
    })

    it('[LOG8] when canvases are asked for their last edit, then each with entries gives its head seq and the head entry time, one without entries is left out, a trimmed head has no time', async () => {
      const { h, clock } = await start()
      const [busy, quiet, trimmed] = [await h.newCanvas(), await h.newCanvas(), await h.newCanvas()]
      await appendEach(h.log, busy, ['a', 'b'])
      clock.advance(5_000)
      await appendEach(h.log, busy, ['c'])
      const busyAt = clock.now()
      await appendEach(h.log, trimmed, ['d'])
      await h.log.trim(trimmed, 1)
      const edits = await h.log.lastEdits([busy, quiet, trimmed, 'no-such-canvas'])
      expect([...edits.entries()].sort()).toEqual(
        [
          [busy, { seq: 3, at: busyAt }],
          [trimmed, { seq: 1, at: undefined }],
        ].sort(),
      )
      expect((await h.log.lastEdits([])).size).toBe(0)
    })

    it('[LOG6] when a log is trimmed, then entries up to the seq are gone and firstSeq says where reading starts', async () => {
      const { h } = await start()
      const [canvas, other] = [await h.newCanvas(), await h.newCanvas()]
      await h.log.append(
        canvas,
        range(1, 10).map((i) => input(`op-${i}`)),
      )
      await h.log.append(other, [input('o1'), input('o2')])
      expect(await h.log.firstSeq(canvas)).toBe(1)
      expect(await h.log.trim(canvas, 6)).toBe(6)
      expect(await h.log.firstSeq(canvas)).toBe(7)
      expect(seqs(await h.log.readAfter(canvas, 0))).toEqual([7, 8, 9, 10])
      expect(seqs(await h.log.readAfter(canvas, 8))).toEqual([9, 10])
      expect(await h.log.trim(canvas, 6)).toBe(0)
      expect(await h.log.trim(canvas, 3)).toBe(0)
      // Another canvas's log is not touched.
      expect(seqs(await h.log.readAfter(other, 0))).toEqual([1, 2])
      expect(await h.log.firstSeq(other)).toBe(1)
    })

    it('[LOG6] when a log holds no entries, then firstSeq is headSeq + 1', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      expect(await h.log.firstSeq(canvas)).toBe(1)
      await appendEach(h.log, canvas, ['a', 'b', 'c'])
      expect(await h.log.trim(canvas, 100)).toBe(3)
      expect(await h.log.firstSeq(canvas)).toBe(4)
      expect(await h.log.readAfter(canvas, 0)).toEqual([])
    })

    it('[LOG1] when everything was trimmed, then the next append continues after the old head', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      await appendEach(h.log, canvas, ['a', 'b', 'c'])
      await h.log.trim(canvas, 3)
      expect(seqs(await h.log.append(canvas, [input('d'), input('e')]))).toEqual([4, 5])
      expect(await h.log.firstSeq(canvas)).toBe(4)
      expect(opIds(await h.log.readAfter(canvas, 0))).toEqual(['d', 'e'])
    })

    it('[LOG7] when snapshots are saved, then the newest is loaded and an older one never replaces it', async () => {
      const { h } = await start()
      const [canvas, other] = [await h.newCanvas(), await h.newCanvas()]
      expect(await h.log.loadSnapshot(canvas)).toBeUndefined()
      const at5 = { seq: 5, objects: [snapshotObject('a', 3), snapshotObject('b', 1)] }
      await h.log.saveSnapshot(canvas, at5)
      expect(await h.log.loadSnapshot(canvas)).toEqual(at5)
      await h.log.saveSnapshot(canvas, { seq: 4, objects: [] })
      expect(await h.log.loadSnapshot(canvas)).toEqual(at5)
      const at9 = { seq: 9, objects: [snapshotObject('a', 4)] }
      await h.log.saveSnapshot(canvas, at9)
      expect(await h.log.loadSnapshot(canvas)).toEqual(at9)
      expect(await h.log.loadSnapshot(other)).toBeUndefined()
    })

    it('[LOG2] when the log is closed with appends queued, then they commit first and later calls are refused', async () => {
      const { h } = await start()
      const canvas = await h.newCanvas()
      const queued = h.log.append(canvas, [input('a'), input('b')])
      await h.log.close()
      expect(seqs(await queued)).toEqual([1, 2])
      await expect(h.log.append(canvas, [input('c')])).rejects.toMatchObject({ code: 'storage_unavailable' })
      await expect(h.log.readAfter(canvas, 0)).rejects.toMatchObject({ code: 'storage_unavailable' })
      await h.log.close()
      if (h.reopen) {
        const log = await h.reopen()
        expect(opIds(await log.readAfter(canvas, 0))).toEqual(['a', 'b'])
      }
    })

    if (impl.durable) {
      it('[LOG2] when the log is reopened, then every resolved append is there and seqs continue', async () => {
        const { h, clock } = await start()
        if (!h.reopen) throw new Error(`${impl.name} is durable but its harness has no reopen()`)
        const [a, b] = [await h.newCanvas(), await h.newCanvas()]
        const resolved = await appendEach(h.log, a, ['a1', 'a2'])
        clock.advance(1)
        const burst = await Promise.all(
          range(1, 50).map((i) => h.log.append(i % 2 ? a : b, [input(`burst-${i}`)])),
        )
        resolved.push(...burst.flat())
        await h.log.saveSnapshot(a, { seq: 2, objects: [snapshotObject('x', 1)] })
        const log = await h.reopen()
        const byCanvas = (id: string) =>
          resolved.filter((e) => e.canvasId === id).sort((x, y) => x.seq - y.seq)
        expect(await log.readAfter(a, 0)).toEqual(byCanvas(a))
        expect(await log.readAfter(b, 0)).toEqual(byCanvas(b))
        expect(await log.headSeq(a)).toBe(27)
        expect(await log.loadSnapshot(a)).toEqual({ seq: 2, objects: [snapshotObject('x', 1)] })
        expect(seqs(await log.append(a, [input('after')]))).toEqual([28])
      })

      it('[LOG1][LOG4] when a trimmed log is reopened, then headSeq and firstSeq hold and seqs do not restart', async () => {
        const { h } = await start()
        if (!h.reopen) throw new Error(`${impl.name} is durable but its harness has no reopen()`)
        const canvas = await h.newCanvas()
        await appendEach(h.log, canvas, ['a', 'b', 'c'])
        await h.log.trim(canvas, 3)
        const log = await h.reopen()
        expect(await log.headSeq(canvas)).toBe(3)
        expect(await log.firstSeq(canvas)).toBe(4)
        expect(seqs(await log.append(canvas, [input('d')]))).toEqual([4])
      })
    }

    if (impl.shared) {
      /** Three log objects on one storage: this process and two others. */
      async function threeProcesses(h: Harness): Promise<OpLog[]> {
        if (!h.openAnother) throw new Error(`${impl.name} is shared but its harness has no openAnother()`)
        return [h.log, await h.openAnother(), await h.openAnother()]
      }

      /** Each process appends `rounds` times a pair of calls at once (one of them with two inputs). */
      async function appendFrom(log: OpLog, canvasId: string, name: string, rounds: number) {
        const calls: LogEntry[][] = []
        for (let r = 0; r < rounds; r++) {
          calls.push(
            ...(await Promise.all([
              log.append(canvasId, [input(`${name}-${r}-a`)]),
              log.append(canvasId, [input(`${name}-${r}-b1`), input(`${name}-${r}-b2`)]),
            ])),
          )
        }
        return calls
      }

      it('[LOG1][LOG5] when three processes append to one canvas at once, then every seq is taken exactly once without gaps, and each numbers its calls in call order', async () => {
        const { h } = await start()
        const canvas = await h.newCanvas()
        const logs = await threeProcesses(h)
        const perProcess = await Promise.all(logs.map((log, i) => appendFrom(log, canvas, `p${i}`, 30)))
        const acked = perProcess.flat(2).sort((x, y) => x.seq - y.seq)
        expect(seqs(acked)).toEqual(range(1, 270))
        for (const calls of perProcess) {
          const own = seqs(calls.flat())
          expect(own).toEqual([...own].sort((x, y) => x - y))
        }
        for (const log of logs) {
          expect(await log.headSeq(canvas)).toBe(270)
          expect(await log.readAfter(canvas, 0)).toEqual(acked)
        }
      })

      it('[LOG2][LOG3] when processes append at once, then a reader paging by seq sees every acked entry once, in order, never skipping one that commits late', async () => {
        const { h } = await start()
        const canvas = await h.newCanvas()
        const [reader, ...writers] = await threeProcesses(h)
        let writing = true
        const appends = Promise.all(writers.map((log, i) => appendFrom(log, canvas, `w${i}`, 40))).finally(
          () => {
            writing = false
          },
        )
        const seen: LogEntry[] = []
        const jumps: string[] = []
        for (let caughtUp = false; writing || !caughtUp;) {
          const last = seen.at(-1)?.seq ?? 0
          // Read before looking: an empty page counts as the end only if every append was acked first.
          const ackedAll = !writing
          const page = await (reader as OpLog).readAfter(canvas, last, 50)
          // A page always continues right after what was read: a later seq visible before an
          // earlier one commits would show here as a jump, and the earlier entry would be lost.
          if (page.length > 0 && page[0]?.seq !== last + 1) jumps.push(`after ${last} came ${page[0]?.seq}`)
          seen.push(...page)
          caughtUp = ackedAll && page.length === 0
          // Lets the writers' commits (and, in-process, their queued flushes) run between reads.
          await new Promise((resolve) => setImmediate(resolve))
        }
        const acked = (await appends).flat(2).sort((x, y) => x.seq - y.seq)
        expect(jumps).toEqual([])
        expect(seqs(acked)).toEqual(range(1, 240))
        expect(seen).toEqual(acked)
      })
    }
  })
}

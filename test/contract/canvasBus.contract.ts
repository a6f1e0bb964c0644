import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { LogEntry } from '../../src/core/room/logEntry.js'
import type { CanvasBus, CanvasListener, CanvasNotice } from '../../src/log/canvasBus.js'

export interface BusHarness {
  /** Two handles on one deployment's bus, as two instances hold them (the same object in one process). */
  a: CanvasBus
  b: CanvasBus
  cleanup(): Promise<void>
}

export interface CanvasBusImplementation {
  name: string
  create(): Promise<BusHarness>
}

/** A listener that records what it hears. */
class Recorder implements CanvasListener {
  readonly heads: number[] = []
  readonly entries: number[] = []
  readonly notices: CanvasNotice[] = []
  committed(entries: readonly LogEntry[], headSeq: number): void {
    this.heads.push(headSeq)
    this.entries.push(...entries.map((e) => e.seq))
  }
  notice(notice: CanvasNotice): void {
    this.notices.push(notice)
  }
}

const entry = (canvasId: string, seq: number): LogEntry => ({
  canvasId,
  seq,
  at: 1_000 + seq,
  opId: `op-${seq}`,
  userId: 'u',
  op: { kind: 'delete', id: `o${seq}` },
})

/** One suite for every CanvasBus implementation (docs/spec/log.md, BUS rules). */
export function registerCanvasBusContractTests(impl: CanvasBusImplementation): void {
  describe(`CanvasBus contract: ${impl.name}`, () => {
    const withBus = async (run: (h: BusHarness) => Promise<void>) => {
      const harness = await impl.create()
      try {
        await run(harness)
      } finally {
        await harness.cleanup()
      }
    }

    it('[BUS1] when commits are published, then every listener of that canvas learns each new head, and only of its canvas', async () => {
      await withBus(async ({ a, b }) => {
        const canvas = randomUUID()
        const here = new Recorder()
        const there = new Recorder()
        const elsewhere = new Recorder()
        b.subscribe(canvas, here)
        a.subscribe(canvas, there)
        b.subscribe(randomUUID(), elsewhere)
        a.publishCommitted(canvas, 2, [entry(canvas, 1), entry(canvas, 2)])
        a.publishCommitted(canvas, 3, [])
        for (const listener of [here, there]) {
          await expect.poll(() => Math.max(0, ...listener.heads)).toBe(3)
          // Entries handed over carry their true seqs, never others [BUS1].
          expect(listener.entries.every((seq) => seq === 1 || seq === 2)).toBe(true)
        }
        expect(elsewhere.heads).toEqual([])
      })
    })

    it('[BUS2] when a notice is published, then every listener of the canvas gets it', async () => {
      await withBus(async ({ a, b }) => {
        const canvas = randomUUID()
        const one = new Recorder()
        const two = new Recorder()
        a.subscribe(canvas, one)
        b.subscribe(canvas, two)
        const renamed: CanvasNotice = {
          kind: 'renamed',
          canvas: { id: canvas, name: 'New', updatedAt: new Date(0).toISOString() },
        }
        b.publishNotice(canvas, renamed)
        a.publishNotice(canvas, { kind: 'access', userId: 'u1', role: null })
        for (const listener of [one, two]) {
          await expect.poll(() => listener.notices.length).toBe(2)
          expect(listener.notices).toContainEqual(renamed)
          expect(listener.notices).toContainEqual({ kind: 'access', userId: 'u1', role: null })
        }
      })
    })

    it('[BUS3] when a listener publishes, then it is not told of its own commit, and the others are', async () => {
      await withBus(async ({ a, b }) => {
        const canvas = randomUUID()
        const publisher = new Recorder()
        const other = new Recorder()
        a.subscribe(canvas, publisher)
        b.subscribe(canvas, other)
        a.publishCommitted(canvas, 1, [entry(canvas, 1)], publisher)
        await expect.poll(() => other.heads).toEqual([1])
        // A notice published after it is a barrier: had the publisher been told, it would be by now.
        a.publishNotice(canvas, { kind: 'deleted' })
        await expect.poll(() => publisher.notices.length).toBe(1)
        expect(publisher.heads).toEqual([])
      })
    })

    it('[BUS4] when a listener unsubscribes, then it hears nothing more', async () => {
      await withBus(async ({ a, b }) => {
        const canvas = randomUUID()
        const gone = new Recorder()
        const stays = new Recorder()
        const unsubscribe = b.subscribe(canvas, gone)
        b.subscribe(canvas, stays)
        unsubscribe()
        a.publishCommitted(canvas, 1, [entry(canvas, 1)])
        a.publishNotice(canvas, { kind: 'deleted' })
        await expect.poll(() => stays.notices.length).toBe(1)
        expect(gone.heads).toEqual([])
        expect(gone.notices).toEqual([])
      })
    })
  })
}

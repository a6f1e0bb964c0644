import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { LogEntry } from '../../src/core/room/logEntry.js'
import type { CanvasBus, CanvasListener, CanvasNotice, Ephemeral } from '../../src/log/canvasBus.js'

export interface BusHarness {
  /** Two handles on one deployment's bus, as two instances hold them (the same object in one process). */
  a: CanvasBus
  b: CanvasBus
  cleanup(): Promise<void>
  /**
   * Makes `b` miss whatever is published meanwhile (a dropped connection, a stall longer than
   * queued messages live) and lets it recover. Unset: the bus cannot miss anything (one process).
   */
  interrupt?: () => Promise<void>
}

export interface CanvasBusImplementation {
  name: string
  /** `headSeq` stands for the log: what a bus tells listeners after it may have missed commits [BUS7]. */
  create(log: { headSeq: (canvasId: string) => Promise<number> }): Promise<BusHarness>
  /** Its harness can interrupt `b` (BUS7 applies); false for one process's bus, which loses nothing. */
  canMiss: boolean
}

/** A listener that records what it hears. */
class Recorder implements CanvasListener {
  readonly heads: number[] = []
  readonly entries: number[] = []
  readonly notices: CanvasNotice[] = []
  readonly ephemerals: { message: Ephemeral; source: string }[] = []
  committed(entries: readonly LogEntry[], headSeq: number): void {
    this.heads.push(headSeq)
    this.entries.push(...entries.map((e) => e.seq))
  }
  notice(notice: CanvasNotice): void {
    this.notices.push(notice)
  }
  ephemeral(message: Ephemeral, source: string): void {
    this.ephemerals.push({ message, source })
  }
  /** The users of the latest presence list heard from `source`. */
  presenceFrom(source: string): string[] | undefined {
    const last = this.ephemerals.filter((e) => e.source === source && e.message.kind === 'presence').at(-1)
    return last?.message.kind === 'presence' ? last.message.users.map((u) => u.userId) : undefined
  }
}

const user = (userId: string) => ({ userId, username: userId, color: '#123456' })

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
    const heads = new Map<string, number>()
    const log = { headSeq: (canvasId: string) => Promise.resolve(heads.get(canvasId) ?? 0) }
    const withBus = async (run: (h: BusHarness) => Promise<void>) => {
      const harness = await impl.create(log)
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
        const other = randomUUID()
        b.subscribe(other, elsewhere)
        await Promise.all([a.ready(canvas), b.ready(canvas), b.ready(other)])
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
        await Promise.all([a.ready(canvas), b.ready(canvas)])
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
        await Promise.all([a.ready(canvas), b.ready(canvas)])
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
        await b.ready(canvas)
        unsubscribe()
        a.publishCommitted(canvas, 1, [entry(canvas, 1)])
        a.publishNotice(canvas, { kind: 'deleted' })
        await expect.poll(() => stays.notices.length).toBe(1)
        expect(gone.heads).toEqual([])
        expect(gone.notices).toEqual([])
      })
    })
    it('[BUS5] when ephemeral messages are published, then the other listeners get them with the sender instance, the sender does not', async () => {
      await withBus(async ({ a, b }) => {
        const canvas = randomUUID()
        const sender = new Recorder()
        const receiver = new Recorder()
        a.subscribe(canvas, sender)
        b.subscribe(canvas, receiver)
        await Promise.all([a.ready(canvas), b.ready(canvas)])
        a.publishEphemeral(canvas, { kind: 'cursors', cursors: [{ userId: 'u1', x: 1, y: 2 }] }, sender)
        a.publishEphemeral(
          canvas,
          { kind: 'selections', selections: [{ userId: 'u1', ids: ['o1'] }] },
          sender,
        )
        a.publishEphemeral(canvas, { kind: 'presence', users: [user('u1')] }, sender)
        await expect.poll(() => receiver.presenceFrom(a.instanceId)).toEqual(['u1'])
        expect(receiver.ephemerals.map((e) => e.message)).toContainEqual({
          kind: 'selections',
          selections: [{ userId: 'u1', ids: ['o1'] }],
        })
        await expect
          .poll(() =>
            receiver.ephemerals.some((e) => e.message.kind === 'cursors' && e.source === a.instanceId),
          )
          .toBe(true)
        // The notice is a barrier: the sender would have been told by now.
        a.publishNotice(canvas, { kind: 'deleted' })
        await expect.poll(() => sender.notices.length).toBe(1)
        expect(sender.ephemerals).toEqual([])
      })
    })

    it('[BUS5] when a listener subscribes after presence was published, then it is sent that presence', async () => {
      await withBus(async ({ a, b }) => {
        const canvas = randomUUID()
        const there = new Recorder()
        const early = new Recorder()
        a.subscribe(canvas, there)
        b.subscribe(canvas, early)
        await Promise.all([a.ready(canvas), b.ready(canvas)])
        a.publishEphemeral(canvas, { kind: 'presence', users: [user('u1'), user('u2')] }, there)
        await expect.poll(() => early.presenceFrom(a.instanceId)).toEqual(['u1', 'u2'])
        const late = new Recorder()
        b.subscribe(canvas, late)
        await expect.poll(() => late.presenceFrom(a.instanceId)).toEqual(['u1', 'u2'])
      })
    })

    // One process's bus loses nothing, so BUS7 does not apply to it.
    if (impl.canMiss)
      it('[BUS7] when a listener missed messages, then it is told the log head and reads the rest itself', async () => {
        await withBus(async ({ b, interrupt }) => {
          const canvas = randomUUID()
          const listener = new Recorder()
          b.subscribe(canvas, listener)
          // Commits the bus never carried (lost, expired): only the log knows of them.
          heads.set(canvas, 7)
          await interrupt?.()
          await expect.poll(() => listener.heads).toContain(7)
        })
      })

    it('[BUS8] when a session ends on one instance, then the other instances are told, not the same one', async () => {
      await withBus(async ({ a, b }) => {
        const toldA: string[] = []
        const toldB: string[] = []
        a.onSessionEnded((hash) => toldA.push(hash))
        b.onSessionEnded((hash) => toldB.push(hash))
        a.publishSessionEnded('hash-1')
        if (a === b) {
          // One process: Accounts tells its own listeners; the bus has no one else to tell.
          expect(toldA).toEqual([])
          return
        }
        await expect.poll(() => toldB).toEqual(['hash-1'])
        b.publishSessionEnded('hash-2')
        await expect.poll(() => toldA).toEqual(['hash-2'])
        expect(toldB).toEqual(['hash-1'])
      })
    })
  })
}

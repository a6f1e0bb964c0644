import {
  COMMITTING,
  MAIN_WAITING,
  SLOT_COUNT,
  WORKER_SLOTS,
  wantsIndex,
  type WorkerSlot,
} from './writeLockHandshake.js'

/**
 * Main-thread side of the write-lock handshake (writeLockHandshake.ts): one per SQLite file per
 * process, shared by the main thread's committers and the workers writing that file.
 *
 * A committer calls beginCommit before a write transaction: false means a worker is about to take
 * (or holds) the write lock, so defer the commit (`whenReleased`) rather than sleep in SQLite's
 * busy handler on the event loop. After true, call endCommit once the transaction is over.
 */
export class WriteLockGate {
  readonly shared = new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT)
  private readonly flags = new Int32Array(this.shared)
  private waiters: (() => void)[] = []
  /** Told when a commit is deferred on a worker's slot (the worker keeps its process alive). */
  private readonly onDefer = new Map<WorkerSlot, () => void>()

  /** The worker in `slot` wants to know when a main-thread commit waits for it. */
  watch(slot: WorkerSlot, onDefer: () => void): void {
    this.onDefer.set(slot, onDefer)
  }

  beginCommit(): boolean {
    Atomics.store(this.flags, COMMITTING, 1)
    const wanting = Object.values(WORKER_SLOTS).filter((s) => Atomics.load(this.flags, wantsIndex(s)) === 1)
    if (wanting.length === 0) return true
    this.endCommit()
    Atomics.store(this.flags, MAIN_WAITING, 1)
    for (const slot of wanting) this.onDefer.get(slot)?.()
    return false
  }

  endCommit(): void {
    Atomics.store(this.flags, COMMITTING, 0)
    Atomics.notify(this.flags, COMMITTING)
  }

  /** Calls `retry` (synchronously) at the next release: then try beginCommit again. */
  whenReleased(retry: () => void): void {
    this.waiters.push(retry)
  }

  /** Runs `write` (a whole transaction, synchronous) once no worker wants the lock. */
  run<T>(write: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (!this.beginCommit()) return this.whenReleased(attempt)
        try {
          resolve(write())
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        } finally {
          this.endCommit()
        }
      }
      attempt()
    })
  }

  /**
   * A worker let go of the lock. Deferred commits run now, synchronously, before MAIN_WAITING
   * goes down, so a worker waiting to go again lets them through first.
   */
  released(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const retry of waiters) retry()
    if (this.waiters.length > 0) return
    Atomics.store(this.flags, MAIN_WAITING, 0)
    Atomics.notify(this.flags, MAIN_WAITING)
  }

  /** A worker that died holding its slot must not keep commits waiting. */
  clear(slot: WorkerSlot): void {
    Atomics.store(this.flags, wantsIndex(slot), 0)
    this.released()
  }
}

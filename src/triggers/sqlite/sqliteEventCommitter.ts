import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { AppError } from '../../protocol/appError.js'
import type { WriteLockGate } from '../../sqlite/writeLockGate.js'
import { WORKER_SLOTS } from '../../sqlite/writeLockHandshake.js'
import type { InsertedEvent, NewEvent } from '../triggerStore.js'
import type {
  CommitFailure,
  EventCommitReply,
  EventCommitRequest,
  EventCommitWorkerData,
} from './eventCommitProtocol.js'

/** A worker that dies more often than this is not restarted again: every commit fails, loudly. */
const MAX_RESTARTS = 5
const RESTART_WINDOW_MS = 60_000

export interface SqliteEventCommitterOptions {
  busyTimeoutMs: number
  /** A worker died (restarted: `fatal` false) or will not be restarted again (`fatal` true). */
  onWorkerFailure(error: Error, fatal: boolean): void
}

/**
 * Commits ingested events in a worker thread with its own connection to the database file
 * (eventCommitWorker.ts), so the inserts and the fsync of a group commit never block the event
 * loop [TRG1]. A batch's promise resolves only with the worker's answer after COMMIT, so a 202
 * still follows the fsync. A worker that dies fails its batch in flight (those requests get a
 * 503, never a 202) and is started again; after MAX_RESTARTS in a minute it stays down and every
 * commit fails with storage_unavailable.
 *
 * Under Vitest this module is the .ts source, and test/support/tsWorkerHooks.mjs lets the worker
 * thread load the .ts worker under its .js name (as for the WAL checkpointer).
 */
export class SqliteEventCommitter {
  private worker: Worker | undefined
  private readonly pending = new Map<number, { resolve(r: InsertedEvent[]): void; reject(e: Error): void }>()
  private nextId = 1
  private restarts: number[] = []
  private stopped = false
  private broken: Error | undefined
  private exited: Promise<void> = Promise.resolve()
  private markReady: () => void = () => {}
  private ready: Promise<void> = Promise.resolve()

  constructor(
    private readonly file: string,
    private readonly gate: WriteLockGate,
    private readonly options: SqliteEventCommitterOptions,
  ) {
    this.start()
  }

  /** Resolves once the current worker has opened its connection (or has died trying). */
  started(): Promise<void> {
    return this.ready
  }

  commit(events: readonly NewEvent[]): Promise<InsertedEvent[]> {
    if (this.broken !== undefined) return Promise.reject(unavailable(this.broken))
    if (this.stopped || this.worker === undefined) {
      return Promise.reject(new AppError('storage_unavailable', 'the event committer is stopped'))
    }
    const id = this.nextId++
    const worker = this.worker
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref()
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ type: 'commit', id, events } satisfies EventCommitRequest)
    })
  }

  /** Lets the commit in flight finish, then closes the worker's connection. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true
      // Held while it stops: an unref'd worker would let a process with nothing else to do
      // exit in the middle of this await.
      this.worker?.ref()
      this.worker?.postMessage({ type: 'stop' } satisfies EventCommitRequest)
    }
    await this.exited
  }

  /** Ends the worker as a crash would (tests of the restart). */
  async crashWorker(): Promise<void> {
    await this.worker?.terminate()
  }

  private start(): void {
    const workerData: EventCommitWorkerData = {
      file: path.resolve(this.file),
      shared: this.gate.shared,
      busyTimeoutMs: this.options.busyTimeoutMs,
    }
    const worker = new Worker(new URL('./eventCommitWorker.js', import.meta.url), { workerData })
    this.worker = worker
    // An idle worker must not keep the process alive; one with commits in flight does.
    worker.unref()
    this.ready = new Promise((resolve) => (this.markReady = resolve))
    worker.on('message', (msg: EventCommitReply) => this.onMessage(msg))
    let failure: Error | undefined
    worker.on('error', (err) => (failure = err))
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.markReady()
        if (this.worker === worker) this.worker = undefined
        if (!this.stopped) this.died(failure ?? new Error(`event commit worker exited with code ${code}`))
        resolve()
      }),
    )
  }

  private onMessage(msg: EventCommitReply): void {
    if (msg.type === 'ready') return this.markReady()
    const waiter = this.pending.get(msg.id)
    this.pending.delete(msg.id)
    if (this.pending.size === 0) this.worker?.unref()
    if (msg.type === 'committed') waiter?.resolve(msg.results)
    else waiter?.reject(toStorageError(msg.error))
    // The worker has let go of the write lock: main-thread commits deferred for it go now.
    this.gate.released()
  }

  private died(error: Error): void {
    const lost = new AppError('storage_unavailable', 'the event commit worker stopped', { cause: error })
    for (const waiter of this.pending.values()) waiter.reject(lost)
    this.pending.clear()
    this.gate.clear(WORKER_SLOTS.eventCommitter)
    const now = Date.now()
    this.restarts = this.restarts.filter((at) => now - at < RESTART_WINDOW_MS)
    if (this.restarts.length >= MAX_RESTARTS) {
      this.broken = error
      this.options.onWorkerFailure(error, true)
      return
    }
    this.restarts.push(now)
    this.options.onWorkerFailure(error, false)
    this.start()
  }
}

function unavailable(cause: Error): AppError {
  return new AppError('storage_unavailable', 'event storage is unavailable', { cause })
}

/** The worker's failure as toStorageError maps a driver error on this thread [ST4][D5]. */
function toStorageError(failure: CommitFailure): Error {
  const cause = new Error(failure.message)
  if (failure.code === 'SQLITE_FULL' || failure.code === 'ENOSPC') {
    return new AppError('storage_full', 'storage is full', { cause })
  }
  if (failure.fromDatabase) return unavailable(cause)
  return cause
}

import path from 'node:path'
import { Worker } from 'node:worker_threads'
import {
  COMMITTING,
  LOCK_RELEASED,
  READY,
  WANTS_LOCK,
  type CheckpointMode,
  type CheckpointResult,
  type WalCheckpointerOptions,
  type WorkerData,
  type WorkerReply,
  type WorkerRequest,
} from './walCheckpointProtocol.js'

export type { CheckpointMode, CheckpointResult, WalCheckpointerOptions }

/**
 * Checkpoints a WAL database from a worker thread, so checkpoint I/O (and its fsyncs) never
 * runs on the event loop that acks commits [D6]. The owner turns off SQLite's inline
 * auto-checkpoint on its own connection, brackets its commits with beginCommit/endCommit, and
 * on a fatal `onFailure` turns inline checkpoints back on. How the worker picks a mode, and why:
 * walCheckpointWorker.ts.
 *
 * The worker is the compiled module beside this one (dist/sqlite/walCheckpointWorker.js). Under
 * Vitest this module is the .ts source, and test/support/tsWorkerHooks.mjs lets the worker
 * thread load the .ts worker under the same .js name.
 */
export class WalCheckpointer {
  private readonly worker: Worker
  private readonly flags = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))
  private readonly pending = new Map<number, { resolve(r: CheckpointResult): void; reject(e: Error): void }>()
  private nextId = 1
  private waiting = 0
  private lockWait: Promise<void> | undefined
  private endLockWait: () => void = () => {}
  private stopped = false
  private readonly exited: Promise<void>
  private readonly ready: Promise<void>

  constructor(
    file: string,
    options: WalCheckpointerOptions,
    private readonly handlers: {
      onResult(result: CheckpointResult): void
      /** The worker no longer wants the write lock: commits deferred by beginCommit may go. */
      onLockReleased(): void
      onFailure(error: Error, fatal: boolean): void
    },
  ) {
    const workerData: WorkerData = { file: path.resolve(file), shared: this.flags.buffer, ...options }
    this.worker = new Worker(new URL('./walCheckpointWorker.js', import.meta.url), { workerData })
    let markReady: () => void = () => {}
    this.ready = this.held(new Promise((resolve) => (markReady = resolve)))
    this.worker.on('message', (msg: WorkerReply) => this.onMessage(msg, markReady))
    this.worker.on('error', (err) => this.fail(err))
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        markReady()
        if (!this.stopped) this.fail(new Error(`checkpoint worker exited with code ${code}`))
        resolve()
      }),
    )
  }

  /** Resolves once the worker has opened its connection (or has failed to). */
  started(): Promise<void> {
    return this.ready
  }

  /**
   * Call before a write transaction: false means the worker is about to take (or holds) the
   * write lock, so defer the commit until onLockReleased rather than sleep in SQLite's busy
   * handler on the event loop. After true, call endCommit once the transaction is over.
   * Sequentially consistent flags on both sides (Dekker): at least one of them backs off.
   */
  beginCommit(): boolean {
    if (this.stopped) return true
    Atomics.store(this.flags, COMMITTING, 1)
    if (Atomics.load(this.flags, WANTS_LOCK) === 0) return true
    this.endCommit()
    // The deferred commit is someone's pending append: keep the process alive until it runs.
    this.lockWait ??= this.held(new Promise<void>((resolve) => (this.endLockWait = resolve)))
    return false
  }

  endCommit(): void {
    Atomics.store(this.flags, COMMITTING, 0)
    Atomics.notify(this.flags, COMMITTING)
  }

  /** 'auto' runs PASSIVE, then RESTART or TRUNCATE when needed, like the periodic runs. */
  run(mode: CheckpointMode | 'auto' = 'auto'): Promise<CheckpointResult> {
    if (this.stopped) return Promise.reject(new Error('the checkpointer is stopped'))
    const id = this.nextId++
    return this.held(
      new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject })
        this.post({ type: 'checkpoint', id, mode })
      }),
    )
  }

  /** Lets a running checkpoint finish, then closes the worker's connection. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true
      this.post({ type: 'stop' })
    }
    await this.held(this.exited)
  }

  private post(request: WorkerRequest): void {
    this.worker.postMessage(request)
  }

  /**
   * The worker is unref'd, so a forgotten close() cannot keep the process alive; while a caller
   * awaits the worker it is ref'd, or a process with nothing else to do would exit mid-await.
   */
  private held<T>(promise: Promise<T>): Promise<T> {
    if (this.waiting++ === 0) this.worker.ref()
    const release = () => {
      if (--this.waiting === 0) this.worker.unref()
    }
    promise.then(release, release)
    return promise
  }

  private onMessage(msg: WorkerReply, markReady: () => void): void {
    if (msg.id === READY) return markReady()
    if (msg.id === LOCK_RELEASED) return this.lockReleased()
    const waiter = this.pending.get(msg.id)
    this.pending.delete(msg.id)
    if (msg.result !== undefined) {
      this.handlers.onResult(msg.result)
      waiter?.resolve(msg.result)
    } else {
      const err = new Error(`checkpoint failed: ${msg.error ?? 'unknown error'}`)
      this.handlers.onFailure(err, false)
      waiter?.reject(err)
    }
  }

  private fail(err: Error): void {
    this.stopped = true
    // A worker that died holding WANTS_LOCK must not keep commits waiting.
    Atomics.store(this.flags, WANTS_LOCK, 0)
    for (const waiter of this.pending.values()) waiter.reject(err)
    this.pending.clear()
    this.handlers.onFailure(err, true)
    this.lockReleased()
  }

  private lockReleased(): void {
    this.lockWait = undefined
    this.endLockWait()
    this.handlers.onLockReleased()
  }
}

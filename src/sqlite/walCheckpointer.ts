import path from 'node:path'
import { Worker } from 'node:worker_threads'
import {
  LOCK_RELEASED,
  READY,
  type CheckpointMode,
  type CheckpointResult,
  type WalCheckpointerOptions,
  type WorkerData,
  type WorkerReply,
  type WorkerRequest,
} from './walCheckpointProtocol.js'
import type { WriteLockGate } from './writeLockGate.js'
import { WORKER_SLOTS } from './writeLockHandshake.js'

export type { CheckpointMode, CheckpointResult, WalCheckpointerOptions }

/**
 * Checkpoints a WAL database from a worker thread, so checkpoint I/O (and its fsyncs) never
 * runs on the event loop that acks commits [D6]. The owner turns off SQLite's inline
 * auto-checkpoint on its own connection, brackets its commits with the file's WriteLockGate
 * (which RESTART and TRUNCATE take through), and on a fatal `onFailure` turns inline
 * checkpoints back on. How the worker picks a mode, and why:
 * walCheckpointWorker.ts.
 *
 * The worker is the compiled module beside this one (dist/sqlite/walCheckpointWorker.js). Under
 * Vitest this module is the .ts source, and test/support/tsWorkerHooks.mjs lets the worker
 * thread load the .ts worker under the same .js name.
 */
export class WalCheckpointer {
  private readonly worker: Worker
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
    private readonly gate: WriteLockGate,
    private readonly handlers: {
      onResult(result: CheckpointResult): void
      onFailure(error: Error, fatal: boolean): void
    },
  ) {
    const workerData: WorkerData = { file: path.resolve(file), shared: gate.shared, ...options }
    this.worker = new Worker(new URL('./walCheckpointWorker.js', import.meta.url), { workerData })
    let markReady: () => void = () => {}
    this.ready = this.held(new Promise((resolve) => (markReady = resolve)))
    this.worker.on('message', (msg: WorkerReply) => this.onMessage(msg, markReady))
    this.worker.on('error', (err) => this.fail(err))
    // A commit deferred for the worker is someone's pending append: keep the process alive
    // until it runs.
    gate.watch(WORKER_SLOTS.checkpointer, () => {
      if (!this.stopped)
        this.lockWait ??= this.held(new Promise<void>((resolve) => (this.endLockWait = resolve)))
    })
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
    for (const waiter of this.pending.values()) waiter.reject(err)
    this.pending.clear()
    this.handlers.onFailure(err, true)
    // A worker that died holding its slot must not keep commits waiting.
    this.lockReleased(true)
  }

  private lockReleased(died = false): void {
    this.lockWait = undefined
    this.endLockWait()
    if (died) this.gate.clear(WORKER_SLOTS.checkpointer)
    else this.gate.released()
  }
}

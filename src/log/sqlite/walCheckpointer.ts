import { createRequire } from 'node:module'
import path from 'node:path'
import { Worker } from 'node:worker_threads'

export type CheckpointMode = 'PASSIVE' | 'RESTART' | 'TRUNCATE'

export interface CheckpointResult {
  /** The last mode run: 'auto' runs PASSIVE, then RESTART or TRUNCATE when needed. */
  mode: CheckpointMode
  /**
   * Every frame the WAL held when the checkpoint began is in the database file. After RESTART
   * or TRUNCATE, which hold the write lock, that is every frame: the next commit starts the
   * WAL over. After PASSIVE, commits may have added frames meanwhile.
   */
  complete: boolean
  /** SQLite gave up waiting for a reader or writer (RESTART/TRUNCATE after busyTimeoutMs). */
  busy: boolean
  walFrames: number
  checkpointedFrames: number
  walBytesBefore: number
  walBytesAfter: number
}

export interface WalCheckpointerOptions {
  /** Time between automatic checkpoints; 0 runs them only on request. */
  intervalMs: number
  /**
   * WAL length, in frames since it last started over, from which a checkpoint goes on from
   * PASSIVE to RESTART. 1000 is SQLite's own auto-checkpoint threshold (about 4 MiB).
   */
  restartFrames: number
  /** Above this WAL file size a checkpoint goes on with TRUNCATE, giving the space back [D6]. */
  walCapBytes: number
  /**
   * How long RESTART/TRUNCATE waits for readers (or another process's writer). Commits of this
   * process wait for it meanwhile, so this bounds the delay a stuck reader adds to acks.
   */
  busyTimeoutMs: number
}

interface WorkerReply {
  id: number
  result?: CheckpointResult
  error?: string
}

// Message ids the worker uses for itself; requests count up from 1, periodic runs use 0.
const READY = -1
const LOCK_RELEASED = -2

// Int32 slots shared with the worker (see beginCommit).
const WANTS_LOCK = 0
const COMMITTING = 1

/**
 * Runs in the worker, as plain CommonJS so it needs no build step under Vitest or from dist/.
 *
 * Each run starts with PASSIVE, which never blocks writers and copies the bulk of the WAL into
 * the database. Under a steady stream of commits PASSIVE alone never catches up: new frames
 * land while it copies, and SQLite only starts the WAL over when a writer begins with every
 * frame copied, so the WAL grew past 90 MiB in 10 000 single-row commits (measured). So once
 * the WAL holds restartFrames or more, RESTART follows: it copies what PASSIVE left under the
 * write lock (a short hold, as PASSIVE did the bulk) and waits for readers, after which the
 * next commit starts the WAL over. Over walCapBytes, TRUNCATE also shrinks the file.
 *
 * RESTART polls for the write lock (1, 2, 5… ms sleeps) and, against commits back to back, gave
 * up busy on about half its runs while the WAL reached 31–77 MiB in 10 000 commits (measured).
 * So it first raises WANTS_LOCK and waits until the main thread is not COMMITTING; the main
 * thread sees the flag and defers its next group commit until LOCK_RELEASED. Then every
 * RESTART succeeded and the WAL stayed under 6.5 MiB, and neither side sleeps in SQLite's busy
 * handler (on the main thread that sleep would stall the event loop).
 *
 * A long-lived read transaction pins the frames after its snapshot: no mode can copy them or
 * start the WAL over until it ends, so the WAL grows past any cap meanwhile. RESTART/TRUNCATE
 * then wait busyTimeoutMs and give up (busy); automatic runs back off (doubling, at most 30 s)
 * rather than delay commits on every tick. Bounding readers is the only cure.
 */
const WORKER_SOURCE = `
'use strict'
const fs = require('node:fs')
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driverPath)
const { file, intervalMs, restartFrames, walCapBytes, busyTimeoutMs, shared } = workerData
const WANTS_LOCK = ${WANTS_LOCK}
const COMMITTING = ${COMMITTING}
const MAX_BACKOFF_MS = 30000
const flags = new Int32Array(shared)
const db = new Database(file, { fileMustExist: true })
db.pragma('busy_timeout = ' + busyTimeoutMs)
db.pragma('synchronous = FULL')
const walFile = file + '-wal'
const walBytes = () => {
  try { return fs.statSync(walFile).size } catch { return 0 }
}
// A WAL file is a 32-byte header, then frames of a 24-byte header and one page.
const frameBytes = db.pragma('page_size', { simple: true }) + 24
const walFramesIn = (bytes) => Math.max(0, Math.floor((bytes - 32) / frameBytes))
const pragma = (mode) => db.pragma('wal_checkpoint(' + mode + ')')[0]
function exclusive(mode) {
  Atomics.store(flags, WANTS_LOCK, 1)
  try {
    while (Atomics.load(flags, COMMITTING) === 1) Atomics.wait(flags, COMMITTING, 1, 50)
    return pragma(mode)
  } finally {
    Atomics.store(flags, WANTS_LOCK, 0)
    parentPort.postMessage({ id: ${LOCK_RELEASED} })
  }
}
let escalateAfter = 0
let backoffMs = Math.max(intervalMs, 100)
// data_version after the last RESTART/TRUNCATE that finished: unchanged means no commit since,
// so the WAL already starts over at the next one and another RESTART would do nothing.
const dataVersion = () => db.pragma('data_version', { simple: true })
let settledVersion = -1
function checkpoint(requested, automatic) {
  const walBytesBefore = walBytes()
  let mode = requested === 'auto' ? 'PASSIVE' : requested
  let row = mode === 'PASSIVE' ? pragma(mode) : exclusive(mode)
  if (requested === 'auto' && (!automatic || Date.now() >= escalateAfter)) {
    const over = walBytesBefore > walCapBytes
    // PASSIVE reports on the frames that existed when it began; under a stream of commits
    // there are always newer ones, so only a RESTART lets the WAL start over.
    // PASSIVE comes back busy, with no frame count (-1), when it cannot take a lock at once (seen
    // once, with commits back to back on a loaded machine). The file's size then bounds the
    // frames from above (a WAL that started over keeps its length), so RESTART, which waits its
    // turn, still runs whenever it may be needed rather than never.
    const frames = row.busy ? walFramesIn(walBytesBefore) : row.log
    if (over || (frames >= restartFrames && dataVersion() !== settledVersion)) {
      mode = over ? 'TRUNCATE' : 'RESTART'
      row = exclusive(mode)
      if (automatic && row.busy) {
        escalateAfter = Date.now() + backoffMs
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
      } else if (automatic) {
        backoffMs = Math.max(intervalMs, 100)
      }
    }
  }
  if (mode !== 'PASSIVE' && !row.busy) settledVersion = dataVersion()
  const busy = row.busy !== 0
  return {
    mode, busy, complete: !busy && row.log === row.checkpointed,
    walFrames: row.log, checkpointedFrames: row.checkpointed,
    walBytesBefore, walBytesAfter: walBytes(),
  }
}
function reply(id, run) {
  try { parentPort.postMessage({ id, result: run() }) }
  catch (err) { parentPort.postMessage({ id, error: String(err && err.message || err) }) }
}
const timer = intervalMs > 0 ? setInterval(() => reply(0, () => checkpoint('auto', true)), intervalMs) : undefined
parentPort.on('message', (msg) => {
  if (msg.type === 'checkpoint') return reply(msg.id, () => checkpoint(msg.mode, false))
  if (timer) clearInterval(timer)
  db.close()
  parentPort.close()
})
parentPort.postMessage({ id: ${READY} })
`

/**
 * Checkpoints a WAL database from a worker thread, so checkpoint I/O (and its fsyncs) never
 * runs on the event loop that acks commits [D6]. The owner turns off SQLite's inline
 * auto-checkpoint on its own connection, brackets its commits with beginCommit/endCommit, and
 * on a fatal `onFailure` turns inline checkpoints back on.
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
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3')
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driverPath, file: path.resolve(file), shared: this.flags.buffer, ...options },
    })
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
        this.worker.postMessage({ type: 'checkpoint', id, mode })
      }),
    )
  }

  /** Lets a running checkpoint finish, then closes the worker's connection. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true
      this.worker.postMessage({ type: 'stop' })
    }
    await this.held(this.exited)
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

/** What the WAL checkpointer (main thread) and its worker (walCheckpointWorker.ts) share. */

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

export interface WorkerData extends WalCheckpointerOptions {
  /** Absolute path of the database file. */
  file: string
  /** The file's WriteLockGate buffer (writeLockHandshake.ts). */
  shared: SharedArrayBuffer
}

export type WorkerRequest =
  { type: 'checkpoint'; id: number; mode: CheckpointMode | 'auto' } | { type: 'stop' }

export interface WorkerReply {
  id: number
  result?: CheckpointResult
  error?: string
}

// Message ids the worker uses for itself; requests count up from 1, periodic runs use 0.
export const PERIODIC = 0
export const READY = -1
export const LOCK_RELEASED = -2

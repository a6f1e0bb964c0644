// Over 400 lines on purpose: one adapter of the one OpLog interface. Group commit, reads, trims,
// head and last-edit queries share one connection, its prepared statements and the write-lock
// handshake with the event worker; test/contract/opLog.contract.ts runs it beside postgresOpLog.ts.
import Database from 'better-sqlite3'
import type { LogEntry, Op, OpInput } from '../../core/room/logEntry.js'
import { AppError } from '../../protocol/appError.js'
import type { CanvasObject } from '../../protocol/objects.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { toStorageError } from '../../sqlite/sqliteErrors.js'
import type { LastEdit, OpLog, Snapshot, SnapshotToSave } from '../opLog.js'
import {
  WalCheckpointer,
  type CheckpointMode,
  type CheckpointResult,
  type WalCheckpointerOptions,
} from '../../sqlite/walCheckpointer.js'
import { WriteLockGate } from '../../sqlite/writeLockGate.js'

/** docs/spec/log.md: the page readAfter returns without a limit, and the largest it allows. */
export const DEFAULT_READ_LIMIT = 1000
export const MAX_READ_LIMIT = 10_000

export interface SqliteOpLogOptions {
  /**
   * Queued entries that make append() commit at once instead of at the end of the turn: bounds
   * the time one transaction holds the event loop. A single call is never split.
   */
  maxBatchEntries?: number
  /**
   * Checkpointing off the event loop [D6]. `false` keeps SQLite's inline auto-checkpoint on
   * this connection (simple, but its stalls land in the commit path).
   */
  checkpoint?: false | Partial<WalCheckpointerOptions>
  /** Told when the checkpointer fails; on a fatal failure the log has gone back to inline checkpoints. */
  onCheckpointError?: (error: Error) => void
  /**
   * The file's write-lock handshake, shared with the other threads writing it (the trigger
   * events' committer); the log makes its own when it is the only one.
   */
  writeGate?: WriteLockGate
}

// 100 ms, not 1 s: awaited appends one after another commit ~8k times a second here, ~20 MB
// of WAL a second; with a 1 s tick the WAL reached 24–73 MB between checkpoints and a TRUNCATE
// delayed single acks by up to 120 ms, while 50 and 200 ms ticks kept it under 22 MB. An idle
// tick costs a stat() and a PASSIVE with nothing to copy, in the worker.
export const CHECKPOINT_DEFAULTS: Readonly<WalCheckpointerOptions> = {
  intervalMs: 100,
  restartFrames: 1000,
  walCapBytes: 64 * 1024 * 1024,
  busyTimeoutMs: 50,
}

export interface SqliteOpLogStats {
  /** Entries committed by append. */
  entries: number
  /** Group-commit transactions committed: one per event-loop turn with appends, or per full batch [LOG5]. */
  transactions: number
  /** Group-commit transactions that failed; every call in them was rejected [LOG2]. */
  failedTransactions: number
  /** Group commits that waited for a worker (checkpointer, event committer) to release the write lock. */
  deferredFlushes: number
  checkpoints: number
  /** Checkpoints that went on with RESTART: the WAL held restartFrames or more. */
  restarts: number
  /** Checkpoints that went on with TRUNCATE because the WAL file was over its cap. */
  truncations: number
  /** Checkpoints that left frames behind, usually for a long-lived reader. */
  incompleteCheckpoints: number
  checkpointErrors: number
  /** The WAL file size after the latest checkpoint. */
  walBytes: number
}

interface PendingAppend {
  canvasId: string
  inputs: readonly { opId: string; userId: string; op: Op; json: string }[]
  resolve(entries: LogEntry[]): void
  reject(error: Error): void
}

interface EntryRow {
  seq: number
  op_id: string
  user_id: string
  at: number
  op: string
}

// SQLite's default, restored when the checkpointer is gone.
const INLINE_AUTOCHECKPOINT_PAGES = 1000

/**
 * The op log in the SQLite database: the default, single-host truth of every canvas.
 *
 * Group commit [LOG5]: appends of one event-loop turn are queued and committed in one
 * BEGIN IMMEDIATE transaction at setImmediate (or at once when maxBatchEntries are queued),
 * then each call is resolved with its own entries. One fsync acks the whole turn. Seqs come
 * from op_log_heads read inside that transaction, never from memory, so another process
 * writing the same file cannot make them collide [LOG1].
 *
 * The log borrows the connection: close() commits what is queued and stops the checkpoint
 * worker, but does not close the handle, which belongs to whoever opened it.
 */
export class SqliteOpLog implements OpLog {
  private readonly statements
  private readonly commitBatch: Database.Transaction<(batch: PendingAppend[], at: number) => LogEntry[][]>
  private readonly maxBatchEntries: number
  private queue: PendingAppend[] = []
  private queuedEntries = 0
  private flushHandle: NodeJS.Immediate | undefined
  /** A flush waits for a worker to release the write lock. */
  private deferred = false
  private readonly gate: WriteLockGate
  private closed = false
  private readonly checkpointer: WalCheckpointer | undefined
  private readonly autocheckpointBefore: number
  private readonly counters: SqliteOpLogStats = {
    entries: 0,
    transactions: 0,
    failedTransactions: 0,
    deferredFlushes: 0,
    checkpoints: 0,
    restarts: 0,
    truncations: 0,
    incompleteCheckpoints: 0,
    checkpointErrors: 0,
    walBytes: 0,
  }

  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
    options: SqliteOpLogOptions = {},
  ) {
    // An ack promises the entry survives power loss: FULL (or EXTRA) on this connection [D3].
    const synchronous = db.pragma('synchronous', { simple: true }) as number
    if (synchronous < 2) {
      throw new Error(`SqliteOpLog needs synchronous=FULL on its connection, found ${synchronous}`)
    }
    this.maxBatchEntries = options.maxBatchEntries ?? 1000
    this.statements = {
      head: db.prepare<[string], number>('SELECT head_seq FROM op_log_heads WHERE canvas_id = ?').pluck(),
      canvasExists: db.prepare<[string], number>('SELECT 1 FROM canvases WHERE id = ?').pluck(),
      lastEdits: db.prepare<[string], { canvas_id: string; head_seq: number; at: number | null }>(
        `SELECT h.canvas_id, h.head_seq, l.at FROM op_log_heads h
           LEFT JOIN op_log l ON l.canvas_id = h.canvas_id AND l.seq = h.head_seq
         WHERE h.canvas_id IN (SELECT value FROM json_each(?))`,
      ),
      insert: db.prepare<[string, number, string, string, number, string]>(
        'INSERT INTO op_log (canvas_id, seq, op_id, user_id, at, op) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setHead: db.prepare<[string, number]>(
        `INSERT INTO op_log_heads (canvas_id, head_seq) VALUES (?, ?)
         ON CONFLICT (canvas_id) DO UPDATE SET head_seq = excluded.head_seq`,
      ),
      readAfter: db.prepare<[string, number, number], EntryRow>(
        'SELECT seq, op_id, user_id, at, op FROM op_log WHERE canvas_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      firstSeq: db
        .prepare<[string], number | null>('SELECT MIN(seq) FROM op_log WHERE canvas_id = ?')
        .pluck(),
      trim: db.prepare<[string, number]>('DELETE FROM op_log WHERE canvas_id = ? AND seq <= ?'),
      // An older snapshot never replaces a newer one [LOG7].
      saveSnapshot: db.prepare<[string, number, string, number]>(
        `INSERT INTO canvas_snapshots (canvas_id, seq, objects, saved_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (canvas_id) DO UPDATE SET seq = excluded.seq, objects = excluded.objects,
           saved_at = excluded.saved_at
         WHERE excluded.seq >= canvas_snapshots.seq`,
      ),
      loadSnapshot: db.prepare<[string], { seq: number; objects: string }>(
        'SELECT seq, objects FROM canvas_snapshots WHERE canvas_id = ?',
      ),
    }
    this.commitBatch = db.transaction((batch: PendingAppend[], at: number) => this.writeBatch(batch, at))

    this.gate = options.writeGate ?? new WriteLockGate()
    this.autocheckpointBefore = db.pragma('wal_autocheckpoint', { simple: true }) as number
    const walMode = db.pragma('journal_mode', { simple: true }) === 'wal'
    if (options.checkpoint !== false && walMode && !db.memory) {
      // Inline auto-checkpoints run inside the committing call, on the event loop: 5–19 ms
      // stalls at p99.9 measured. The worker checkpoints instead [D6].
      db.pragma('wal_autocheckpoint = 0')
      this.checkpointer = new WalCheckpointer(
        db.name,
        { ...CHECKPOINT_DEFAULTS, ...options.checkpoint },
        this.gate,
        {
          onResult: (result) => this.countCheckpoint(result),
          onFailure: (error, fatal) => {
            this.counters.checkpointErrors += 1
            // Without the worker nothing would bound the WAL: go back to inline checkpoints.
            if (fatal && this.db.open && !this.closed) {
              this.db.pragma(
                `wal_autocheckpoint = ${this.autocheckpointBefore || INLINE_AUTOCHECKPOINT_PAGES}`,
              )
            }
            options.onCheckpointError?.(error)
          },
        },
      )
    }
  }

  get stats(): Readonly<SqliteOpLogStats> {
    return { ...this.counters }
  }

  append(canvasId: string, inputs: readonly OpInput[]): Promise<LogEntry[]> {
    if (this.closed) return Promise.reject(closedError())
    if (inputs.length === 0) return Promise.resolve([])
    let prepared: PendingAppend['inputs']
    try {
      // Serialised now, so a value JSON cannot hold fails this call, not the whole batch.
      prepared = inputs.map((i) => ({ opId: i.opId, userId: i.userId, op: i.op, json: JSON.stringify(i.op) }))
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ canvasId, inputs: prepared, resolve, reject })
      this.queuedEntries += prepared.length
      // A deferred flush runs when the worker releases the lock; nothing to schedule.
      if (this.deferred) return
      if (this.queuedEntries >= this.maxBatchEntries) this.flush()
      else this.flushHandle ??= setImmediate(() => this.flush())
    })
  }

  private flush(): void {
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle)
    this.flushHandle = undefined
    this.deferred = false
    if (this.queue.length === 0) return
    if (!this.gate.beginCommit()) {
      // A worker is taking the write lock; the gate calls back when it is done. Appends keep
      // queueing meanwhile and go in the same, larger commit.
      this.deferred = true
      this.counters.deferredFlushes += 1
      this.gate.whenReleased(() => this.flush())
      return
    }
    const batch = this.queue
    this.queue = []
    this.queuedEntries = 0
    let results: LogEntry[][]
    try {
      results = this.commitBatch.immediate(batch, this.now())
    } catch (err) {
      // Nothing of the batch is stored: every call in it fails the same way [LOG2].
      this.counters.failedTransactions += 1
      const error = toStorageError(err)
      for (const call of batch) call.reject(error)
      return
    } finally {
      this.gate.endCommit()
    }
    this.counters.transactions += 1
    batch.forEach((call, i) => {
      const entries = results[i] ?? []
      if (entries.length === 0) return call.reject(canvasNotFound(call.canvasId))
      this.counters.entries += entries.length
      call.resolve(entries)
    })
  }

  /** Inside the transaction; an empty result marks a call whose canvas does not exist. */
  private writeBatch(batch: PendingAppend[], at: number): LogEntry[][] {
    // canvasId → head so far; null when the canvas is gone (only its own calls fail).
    const heads = new Map<string, number | null>()
    const touched = new Set<string>()
    const results = batch.map((call) => {
      const { canvasId } = call
      let head = heads.get(canvasId)
      if (head === undefined) {
        head = this.statements.head.get(canvasId) ?? (this.statements.canvasExists.get(canvasId) ? 0 : null)
        heads.set(canvasId, head)
      }
      if (head === null) return []
      let seq = head
      const entries = call.inputs.map((input): LogEntry => {
        seq += 1
        this.statements.insert.run(canvasId, seq, input.opId, input.userId, at, input.json)
        return { canvasId, seq, opId: input.opId, userId: input.userId, op: input.op, at }
      })
      heads.set(canvasId, seq)
      touched.add(canvasId)
      return entries
    })
    for (const canvasId of touched) this.statements.setHead.run(canvasId, heads.get(canvasId) as number)
    return results
  }

  readAfter(canvasId: string, afterSeq: number, limit = DEFAULT_READ_LIMIT): Promise<LogEntry[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) {
      // A caller bug, not a storage failure: a plain error, reported as internal.
      return Promise.reject(
        new RangeError(`readAfter limit must be an integer from 1 to ${MAX_READ_LIMIT}, got ${limit}`),
      )
    }
    return this.guard(() =>
      this.statements.readAfter.all(canvasId, afterSeq, limit).map((r): LogEntry => ({
        canvasId,
        seq: r.seq,
        opId: r.op_id,
        userId: r.user_id,
        op: JSON.parse(r.op) as Op,
        at: r.at,
      })),
    )
  }

  headSeq(canvasId: string): Promise<number> {
    return this.guard(() => this.statements.head.get(canvasId) ?? 0)
  }

  lastEdits(canvasIds: readonly string[]): Promise<Map<string, LastEdit>> {
    return this.guard(
      () =>
        new Map(
          this.statements.lastEdits
            .all(JSON.stringify(canvasIds))
            .map((r) => [r.canvas_id, { seq: r.head_seq, at: r.at ?? undefined }]),
        ),
    )
  }

  firstSeq(canvasId: string): Promise<number> {
    return this.guard(
      () => this.statements.firstSeq.get(canvasId) ?? (this.statements.head.get(canvasId) ?? 0) + 1,
    )
  }

  saveSnapshot(canvasId: string, snapshot: SnapshotToSave): Promise<void> {
    return this.guard(() => {
      const json = 'objectsJson' in snapshot ? snapshot.objectsJson : JSON.stringify(snapshot.objects)
      this.statements.saveSnapshot.run(canvasId, snapshot.seq, json, this.now())
    })
  }

  loadSnapshot(canvasId: string): Promise<Snapshot | undefined> {
    return this.guard(() => {
      const r = this.statements.loadSnapshot.get(canvasId)
      return r && { seq: r.seq, objects: JSON.parse(r.objects) as CanvasObject[] }
    })
  }

  trim(canvasId: string, upToSeq: number): Promise<number> {
    return this.guard(() => this.statements.trim.run(canvasId, upToSeq).changes)
  }

  /**
   * Runs a checkpoint in the worker now, as the periodic runs do ('auto': PASSIVE, then RESTART
   * or TRUNCATE when needed) but without their back-off. Rejects when the checkpointer is off.
   */
  checkpointNow(mode: CheckpointMode | 'auto' = 'auto'): Promise<CheckpointResult> {
    if (this.checkpointer === undefined) return Promise.reject(new Error('the checkpointer is off'))
    return this.checkpointer.run(mode)
  }

  /** Resolves once the checkpoint worker has its connection open (at once when it is off). */
  async checkpointerStarted(): Promise<void> {
    await this.checkpointer?.started()
  }

  /**
   * Commits the queued appends, stops the checkpoint worker and gives the connection back with
   * its auto-checkpoint setting restored. The handle stays open: its opener closes it.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // The worker goes first, so the last commit cannot wait behind one of its checkpoints.
    await this.checkpointer?.stop()
    this.flush()
    if (this.checkpointer !== undefined && this.db.open) {
      this.db.pragma(`wal_autocheckpoint = ${this.autocheckpointBefore}`)
    }
  }

  private guard<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError())
    try {
      return Promise.resolve(run())
    } catch (err) {
      return Promise.reject(toLogError(err))
    }
  }

  private countCheckpoint(result: CheckpointResult): void {
    this.counters.checkpoints += 1
    if (result.mode === 'RESTART') this.counters.restarts += 1
    if (result.mode === 'TRUNCATE') this.counters.truncations += 1
    if (!result.complete) this.counters.incompleteCheckpoints += 1
    this.counters.walBytes = result.walBytesAfter
  }
}

function closedError(): AppError {
  return new AppError('storage_unavailable', 'the op log is closed')
}

function canvasNotFound(canvasId: string): AppError {
  return new AppError('not_found', `canvas ${canvasId} not found`)
}

// A snapshot for a canvas that is gone breaks the foreign key: that is not_found, not an outage.
function toLogError(err: unknown): Error {
  if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new AppError('not_found', 'canvas not found', { cause: err })
  }
  return toStorageError(err)
}

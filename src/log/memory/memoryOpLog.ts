import type { LogEntry, OpInput } from '../../core/room/logEntry.js'
import { AppError } from '../../protocol/appError.js'
import type { CanvasObject } from '../../protocol/objects.js'
import type { OpLog, Snapshot, SnapshotToSave } from '../opLog.js'

/** docs/spec/log.md: the page readAfter returns without a limit, and the largest it allows. */
export const DEFAULT_READ_LIMIT = 1000
export const MAX_READ_LIMIT = 10_000

export interface MemoryOpLogStats {
  /** Entries committed. */
  entries: number
  /** Group commits: one per event-loop turn that had appends [LOG5]. */
  transactions: number
}

interface CanvasLog {
  head: number
  /** Consecutive entries from firstSeq to head; trim drops a prefix [LOG6]. */
  entries: LogEntry[]
  snapshot: Snapshot | undefined
}

interface PendingAppend {
  canvasId: string
  inputs: readonly OpInput[]
  resolve(entries: LogEntry[]): void
}

// Stored data goes through JSON like the SQLite log's does, so tests on this log catch values
// (undefined, NaN, shared references) that a durable log would not keep as given.
const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

/**
 * The op log in process memory: nothing survives the process, so only for tests and
 * single-process runs that need no durability. Same-turn appends are committed together,
 * after the turn, like the SQLite log's group commit, so callers see the same timing.
 */
export class MemoryOpLog implements OpLog {
  private readonly canvases = new Map<string, CanvasLog>()
  private queue: PendingAppend[] = []
  private flushHandle: NodeJS.Immediate | undefined
  private closed = false
  private readonly counters: MemoryOpLogStats = { entries: 0, transactions: 0 }

  constructor(private readonly now: () => number = Date.now) {}

  get stats(): Readonly<MemoryOpLogStats> {
    return { ...this.counters }
  }

  append(canvasId: string, inputs: readonly OpInput[]): Promise<LogEntry[]> {
    if (this.closed) return Promise.reject(closedError())
    if (inputs.length === 0) return Promise.resolve([])
    const copies = inputs.map((i) => ({ opId: i.opId, userId: i.userId, op: jsonCopy(i.op) }))
    return new Promise((resolve) => {
      this.queue.push({ canvasId, inputs: copies, resolve })
      this.flushHandle ??= setImmediate(() => this.flush())
    })
  }

  private flush(): void {
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle)
    this.flushHandle = undefined
    const batch = this.queue
    this.queue = []
    if (batch.length === 0) return
    const at = this.now()
    for (const call of batch) {
      const log = this.canvasLog(call.canvasId)
      const entries = call.inputs.map((input) => {
        log.head += 1
        const entry: LogEntry = { canvasId: call.canvasId, seq: log.head, at, ...input }
        log.entries.push(entry)
        return entry
      })
      this.counters.entries += entries.length
      call.resolve(entries.map(jsonCopy))
    }
    this.counters.transactions += 1
  }

  private canvasLog(canvasId: string): CanvasLog {
    let log = this.canvases.get(canvasId)
    if (log === undefined) {
      log = { head: 0, entries: [], snapshot: undefined }
      this.canvases.set(canvasId, log)
    }
    return log
  }

  readAfter(canvasId: string, afterSeq: number, limit = DEFAULT_READ_LIMIT): Promise<LogEntry[]> {
    if (this.closed) return Promise.reject(closedError())
    const bad = limitError(limit)
    if (bad) return Promise.reject(bad)
    const log = this.canvases.get(canvasId)
    const first = log?.entries[0]
    if (log === undefined || first === undefined) return Promise.resolve([])
    // Entries are consecutive, so the one after afterSeq sits at a known index.
    const start = Math.max(0, Math.floor(afterSeq) + 1 - first.seq)
    return Promise.resolve(log.entries.slice(start, start + limit).map(jsonCopy))
  }

  headSeq(canvasId: string): Promise<number> {
    if (this.closed) return Promise.reject(closedError())
    return Promise.resolve(this.canvases.get(canvasId)?.head ?? 0)
  }

  firstSeq(canvasId: string): Promise<number> {
    if (this.closed) return Promise.reject(closedError())
    const log = this.canvases.get(canvasId)
    return Promise.resolve(log?.entries[0]?.seq ?? (log?.head ?? 0) + 1)
  }

  saveSnapshot(canvasId: string, snapshot: SnapshotToSave): Promise<void> {
    if (this.closed) return Promise.reject(closedError())
    const log = this.canvasLog(canvasId)
    const objects =
      'objectsJson' in snapshot
        ? (JSON.parse(snapshot.objectsJson) as CanvasObject[])
        : jsonCopy(snapshot.objects)
    // An older snapshot never replaces a newer one [LOG7].
    if (log.snapshot === undefined || snapshot.seq >= log.snapshot.seq) {
      log.snapshot = { seq: snapshot.seq, objects }
    }
    return Promise.resolve()
  }

  loadSnapshot(canvasId: string): Promise<Snapshot | undefined> {
    if (this.closed) return Promise.reject(closedError())
    const snapshot = this.canvases.get(canvasId)?.snapshot
    return Promise.resolve(snapshot && jsonCopy(snapshot))
  }

  trim(canvasId: string, upToSeq: number): Promise<number> {
    if (this.closed) return Promise.reject(closedError())
    const log = this.canvases.get(canvasId)
    const first = log?.entries[0]
    if (log === undefined || first === undefined) return Promise.resolve(0)
    const count = Math.min(log.entries.length, Math.max(0, Math.floor(upToSeq) + 1 - first.seq))
    log.entries.splice(0, count)
    return Promise.resolve(count)
  }

  /** Commits what is queued, then refuses further calls. */
  close(): Promise<void> {
    if (!this.closed) {
      this.flush()
      this.closed = true
    }
    return Promise.resolve()
  }
}

function closedError(): AppError {
  return new AppError('storage_unavailable', 'the op log is closed')
}

// A bad limit is a caller bug, not a storage failure: a plain error, reported as internal.
function limitError(limit: number): RangeError | undefined {
  if (Number.isInteger(limit) && limit >= 1 && limit <= MAX_READ_LIMIT) return undefined
  return new RangeError(`readAfter limit must be an integer from 1 to ${MAX_READ_LIMIT}, got ${limit}`)
}

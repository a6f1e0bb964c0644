import pg from 'pg'
import type { LogEntry, Op, OpInput } from '../../core/room/logEntry.js'
import { AppError } from '../../protocol/appError.js'
import type { CanvasObject } from '../../protocol/objects.js'
import { inTransaction } from '../../postgres/inTransaction.js'
import type { PgClient, PgPool } from '../../postgres/openPostgres.js'
import { pgGuarded, toStorageError } from '../../postgres/postgresErrors.js'
import type { LastEdit, OpLog, Snapshot, SnapshotToSave } from '../opLog.js'
import { DEFAULT_READ_LIMIT, MAX_READ_LIMIT } from '../sqlite/sqliteOpLog.js'

export interface PostgresOpLogOptions {
  /**
   * Queued entries one transaction takes at most; the rest go in the next. Bounds the size of
   * one statement's arrays. A single call is never split.
   */
  maxBatchEntries?: number
}

export interface PostgresOpLogStats {
  /** Entries committed by append. */
  entries: number
  /** Group-commit transactions committed [LOG5]. */
  transactions: number
  /** Group-commit transactions that failed; every call in them was rejected [LOG2]. */
  failedTransactions: number
}

interface PendingAppend {
  canvasId: string
  inputs: readonly { opId: string; userId: string; op: Op; json: string }[]
  resolve(entries: LogEntry[]): void
  reject(error: Error): void
}

// The first key of the two-key advisory locks this log takes; the second is the canvas id's
// hash. Two-key locks never collide with the one-key lock the migration runner takes.
export const APPEND_LOCK_CLASS = 0x6c6f67 // "log"

/**
 * The op log in PostgreSQL, shared by every server process that has DATABASE_URL.
 *
 * Seqs [LOG1]: an append transaction takes, per canvas of its batch and in sorted order, a
 * transaction-scoped advisory lock, then advances the canvas's op_log_heads row with
 * INSERT … ON CONFLICT DO UPDATE … RETURNING and inserts its entries under the returned seqs.
 * Another process appending to the same canvas waits on the lock until this transaction has
 * committed or rolled back, and then reads the head as it left it: seqs are unique and
 * gapless across processes, and a rolled-back batch gives its seqs back. Sorted locking means
 * two processes whose batches share canvases never deadlock.
 *
 * Reading by seq never skips a late commit [LOG3]: because the per-canvas lock is held until
 * COMMIT, the transaction holding seq n+1 cannot even take its head until the one holding n
 * has committed. So per canvas, commit order is seq order: whoever sees n+1 committed also sees
 * n, and a reader paging with readAfter(lastSeq) never passes over an entry still in flight.
 * (A sequence or identity column would not give this: values are taken at insert time and
 * commit in any order.)
 *
 * Group commit [LOG5]: appends of one event-loop turn are queued and committed in one
 * transaction at setImmediate; one commit is in flight at a time, and appends arriving
 * meanwhile go together in the next, so under load each round trip acks more. Calls are
 * numbered in call order. Each call resolves only after COMMIT returned [LOG2].
 *
 * The log borrows the pool: close() commits what is queued but never ends the pool.
 */
export class PostgresOpLog implements OpLog {
  private readonly maxBatchEntries: number
  private queue: PendingAppend[] = []
  private flushHandle: NodeJS.Immediate | undefined
  private inFlight: Promise<void> | undefined
  private closed = false
  private readonly counters: PostgresOpLogStats = { entries: 0, transactions: 0, failedTransactions: 0 }

  constructor(
    private readonly pool: PgPool,
    private readonly now: () => number = Date.now,
    options: PostgresOpLogOptions = {},
  ) {
    this.maxBatchEntries = options.maxBatchEntries ?? 1000
  }

  get stats(): Readonly<PostgresOpLogStats> {
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
      // While a commit is in flight, its end starts the next one.
      if (this.inFlight === undefined) this.flushHandle ??= setImmediate(() => this.flush())
    })
  }

  /** Starts one group commit of the queue's head; when it ends, the next if more is queued. */
  private flush(): void {
    if (this.flushHandle !== undefined) clearImmediate(this.flushHandle)
    this.flushHandle = undefined
    if (this.inFlight !== undefined || this.queue.length === 0) return
    let size = 0
    let take = 0
    while (
      take < this.queue.length &&
      (take === 0 || size + (this.queue[take]?.inputs.length ?? 0) <= this.maxBatchEntries)
    ) {
      size += this.queue[take]?.inputs.length ?? 0
      take += 1
    }
    const batch = this.queue.splice(0, take)
    this.inFlight = this.commit(batch).finally(() => {
      this.inFlight = undefined
      if (this.queue.length > 0) this.flush()
    })
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    const at = this.now()
    let results: LogEntry[][]
    try {
      results = await inTransaction(this.pool, (client) => writeBatch(client, batch, at))
    } catch (err) {
      // Nothing of the batch is stored: every call in it fails the same way [LOG2].
      this.counters.failedTransactions += 1
      const error = toStorageError(err)
      for (const call of batch) call.reject(error)
      return
    }
    this.counters.transactions += 1
    batch.forEach((call, i) => {
      const entries = results[i] ?? []
      if (entries.length === 0) return call.reject(canvasNotFound(call.canvasId))
      this.counters.entries += entries.length
      call.resolve(entries)
    })
  }

  readAfter(canvasId: string, afterSeq: number, limit = DEFAULT_READ_LIMIT): Promise<LogEntry[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) {
      // A caller bug, not a storage failure: a plain error, reported as internal.
      return Promise.reject(
        new RangeError(`readAfter limit must be an integer from 1 to ${MAX_READ_LIMIT}, got ${limit}`),
      )
    }
    return this.query<{ seq: string; op_id: string; user_id: string; at: string; op: string }>(
      'SELECT seq, op_id, user_id, at, op FROM op_log WHERE canvas_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [canvasId, afterSeq, limit],
    ).then((rows) =>
      rows.map((r): LogEntry => ({
        canvasId,
        seq: Number(r.seq),
        opId: r.op_id,
        userId: r.user_id,
        op: JSON.parse(r.op) as Op,
        at: Number(r.at),
      })),
    )
  }

  async headSeq(canvasId: string): Promise<number> {
    const [r] = await this.query<{ head_seq: string }>(
      'SELECT head_seq FROM op_log_heads WHERE canvas_id = $1',
      [canvasId],
    )
    return Number(r?.head_seq ?? 0)
  }

  async lastEdits(canvasIds: readonly string[]): Promise<Map<string, LastEdit>> {
    const rows = await this.query<{ canvas_id: string; head_seq: string; at: string | null }>(
      `SELECT h.canvas_id, h.head_seq, l.at FROM op_log_heads h
         LEFT JOIN op_log l ON l.canvas_id = h.canvas_id AND l.seq = h.head_seq
       WHERE h.canvas_id = ANY($1::text[])`,
      [canvasIds],
    )
    return new Map(
      rows.map((r) => [
        r.canvas_id,
        { seq: Number(r.head_seq), at: r.at === null ? undefined : Number(r.at) },
      ]),
    )
  }

  async firstSeq(canvasId: string): Promise<number> {
    const [r] = await this.query<{ first: string }>(
      `SELECT COALESCE(
         (SELECT min(seq) FROM op_log WHERE canvas_id = $1),
         (SELECT head_seq + 1 FROM op_log_heads WHERE canvas_id = $1),
         1) AS first`,
      [canvasId],
    )
    return Number(r?.first ?? 1)
  }

  async saveSnapshot(canvasId: string, snapshot: SnapshotToSave): Promise<void> {
    const json = 'objectsJson' in snapshot ? snapshot.objectsJson : JSON.stringify(snapshot.objects)
    // An older snapshot never replaces a newer one [LOG7].
    await this.query(
      `INSERT INTO canvas_snapshots (canvas_id, seq, objects, saved_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (canvas_id) DO UPDATE SET seq = excluded.seq, objects = excluded.objects,
         saved_at = excluded.saved_at
       WHERE excluded.seq >= canvas_snapshots.seq`,
      [canvasId, snapshot.seq, json, this.now()],
    )
  }

  async loadSnapshot(canvasId: string): Promise<Snapshot | undefined> {
    const [r] = await this.query<{ seq: string; objects: string }>(
      'SELECT seq, objects FROM canvas_snapshots WHERE canvas_id = $1',
      [canvasId],
    )
    return r && { seq: Number(r.seq), objects: JSON.parse(r.objects) as CanvasObject[] }
  }

  async trim(canvasId: string, upToSeq: number): Promise<number> {
    if (this.closed) throw closedError()
    return pgGuarded(async () => {
      const result = await this.pool.query('DELETE FROM op_log WHERE canvas_id = $1 AND seq <= $2', [
        canvasId,
        upToSeq,
      ])
      return result.rowCount ?? 0
    })
  }

  /** Commits what is queued (and waits for the commit in flight), then refuses every call. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.flush()
    while (this.inFlight !== undefined) await this.inFlight
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    if (this.closed) throw closedError()
    try {
      return (await this.pool.query<R>(sql, params)).rows
    } catch (err) {
      throw toLogError(err)
    }
  }
}

/**
 * Inside the transaction: locks, head advance and inserts for one batch. An empty result marks
 * a call whose canvas does not exist; only those calls fail.
 */
async function writeBatch(
  client: PgClient,
  batch: readonly PendingAppend[],
  at: number,
): Promise<LogEntry[][]> {
  const wanted = new Map<string, number>()
  for (const call of batch) wanted.set(call.canvasId, (wanted.get(call.canvasId) ?? 0) + call.inputs.length)
  const canvasIds = [...wanted.keys()].sort()
  // One lock per canvas, taken in sorted order (the ordered subquery fixes the order the
  // function runs in), held until COMMIT: see the class comment for why this orders commits.
  await client.query(
    `SELECT pg_advisory_xact_lock(${APPEND_LOCK_CLASS}, hashtext(id))
       FROM (SELECT id FROM unnest($1::text[]) AS id ORDER BY id) AS sorted`,
    [canvasIds],
  )
  // FOR KEY SHARE keeps the canvases from being deleted until COMMIT, so the inserts below
  // cannot fail on the foreign key; a canvas that is gone already simply returns no head.
  const { rows } = await client.query<{ canvas_id: string; head_seq: string }>(
    `WITH live AS (SELECT id FROM canvases WHERE id = ANY($1::text[]) FOR KEY SHARE)
     INSERT INTO op_log_heads AS h (canvas_id, head_seq)
     SELECT d.canvas_id, d.n FROM unnest($1::text[], $2::bigint[]) AS d(canvas_id, n)
       JOIN live ON live.id = d.canvas_id
     ON CONFLICT (canvas_id) DO UPDATE SET head_seq = h.head_seq + excluded.head_seq
     RETURNING h.canvas_id, h.head_seq`,
    [canvasIds, canvasIds.map((id) => wanted.get(id))],
  )
  // The next seq to hand out per canvas: the new head minus what this batch adds, plus one.
  const next = new Map(
    rows.map((r) => [r.canvas_id, Number(r.head_seq) - (wanted.get(r.canvas_id) ?? 0) + 1]),
  )
  const columns = {
    canvasId: [] as string[],
    seq: [] as number[],
    opId: [] as string[],
    userId: [] as string[],
    op: [] as string[],
  }
  const results = batch.map((call) => {
    let seq = next.get(call.canvasId)
    if (seq === undefined) return []
    const entries = call.inputs.map((input): LogEntry => {
      const entry = {
        canvasId: call.canvasId,
        seq: seq as number,
        opId: input.opId,
        userId: input.userId,
        op: input.op,
        at,
      }
      columns.canvasId.push(call.canvasId)
      columns.seq.push(entry.seq)
      columns.opId.push(input.opId)
      columns.userId.push(input.userId)
      columns.op.push(input.json)
      seq = (seq as number) + 1
      return entry
    })
    next.set(call.canvasId, seq)
    return entries
  })
  if (columns.seq.length > 0) {
    await client.query(
      `INSERT INTO op_log (canvas_id, seq, op_id, user_id, at, op)
       SELECT c, s, o, u, $6, j FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS x(c, s, o, u, j)`,
      [columns.canvasId, columns.seq, columns.opId, columns.userId, columns.op, at],
    )
  }
  return results
}

function closedError(): AppError {
  return new AppError('storage_unavailable', 'the op log is closed')
}

function canvasNotFound(canvasId: string): AppError {
  return new AppError('not_found', `canvas ${canvasId} not found`)
}

// A snapshot for a canvas that is gone breaks the foreign key: that is not_found, not an outage.
const PG_FOREIGN_KEY_VIOLATION = '23503'
function toLogError(err: unknown): Error {
  if (err instanceof pg.DatabaseError && err.code === PG_FOREIGN_KEY_VIOLATION) {
    return new AppError('not_found', 'canvas not found', { cause: err })
  }
  return toStorageError(err)
}

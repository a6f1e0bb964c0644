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

/**
 * The op log in PostgreSQL, shared by every server process that has DATABASE_URL.
 *
 * Seqs [LOG1]: an append transaction advances, per canvas of its batch and in sorted order, the
 * canvas's op_log_heads row with INSERT … ON CONFLICT DO UPDATE … RETURNING and inserts its
 * entries under the returned seqs, in one statement. The row lock that update takes is held
 * until COMMIT: another process appending to the same canvas waits on it, and then reads the
 * head as this transaction left it. Seqs are unique and gapless across processes, a rolled-back
 * batch gives its seqs back, and sorted locking means two processes whose batches share
 * canvases never deadlock.
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
 * Inside the transaction, in one statement (one round trip while the heads are locked): the
 * head advance and the inserts of one batch. Each entry's seq is its canvas's new head, minus
 * what the batch adds there, plus its place among them. A call whose canvas does not exist gets
 * no head and so no entries; only those calls fail.
 */
async function writeBatch(
  client: PgClient,
  batch: readonly PendingAppend[],
  at: number,
): Promise<LogEntry[][]> {
  const wanted = new Map<string, number>()
  const columns = {
    canvasId: [] as string[],
    place: [] as number[],
    opId: [] as string[],
    userId: [] as string[],
    op: [] as string[],
  }
  for (const call of batch) {
    for (const input of call.inputs) {
      const place = (wanted.get(call.canvasId) ?? 0) + 1
      wanted.set(call.canvasId, place)
      columns.canvasId.push(call.canvasId)
      columns.place.push(place)
      columns.opId.push(input.opId)
      columns.userId.push(input.userId)
      columns.op.push(input.json)
    }
  }
  const canvasIds = [...wanted.keys()]
  // FOR KEY SHARE keeps the canvases from being deleted until COMMIT, so the entries cannot fail
  // on the foreign key; a canvas that is gone already simply gets no head. The heads are taken
  // in sorted order, and their row locks are held until COMMIT: see the class comment.
  const { rows } = await client.query<{ canvas_id: string; head_seq: string }>(
    `WITH live AS (SELECT id FROM canvases WHERE id = ANY($1::text[]) FOR KEY SHARE),
     heads AS (
       INSERT INTO op_log_heads AS h (canvas_id, head_seq)
       SELECT d.canvas_id, d.n FROM unnest($1::text[], $2::bigint[]) AS d(canvas_id, n)
         JOIN live ON live.id = d.canvas_id
         ORDER BY d.canvas_id
       ON CONFLICT (canvas_id) DO UPDATE SET head_seq = h.head_seq + excluded.head_seq
       RETURNING h.canvas_id, h.head_seq
     ),
     entries AS (
       INSERT INTO op_log (canvas_id, seq, op_id, user_id, at, op)
       SELECT x.c, heads.head_seq - d.n + x.k, x.o, x.u, $8, x.j
         FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS x(c, k, o, u, j)
         JOIN heads ON heads.canvas_id = x.c
         JOIN unnest($1::text[], $2::bigint[]) AS d(canvas_id, n) ON d.canvas_id = x.c
     )
     SELECT canvas_id, head_seq FROM heads`,
    [
      canvasIds,
      canvasIds.map((id) => wanted.get(id)),
      columns.canvasId,
      columns.place,
      columns.opId,
      columns.userId,
      columns.op,
      at,
    ],
  )
  // The next seq to hand out per canvas: the new head minus what this batch adds, plus one.
  const next = new Map(
    rows.map((r) => [r.canvas_id, Number(r.head_seq) - (wanted.get(r.canvas_id) ?? 0) + 1]),
  )
  return batch.map((call) => {
    const first = next.get(call.canvasId)
    if (first === undefined) return []
    next.set(call.canvasId, first + call.inputs.length)
    return call.inputs.map((input, i): LogEntry => ({
      canvasId: call.canvasId,
      seq: first + i,
      opId: input.opId,
      userId: input.userId,
      op: input.op,
      at,
    }))
  })
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

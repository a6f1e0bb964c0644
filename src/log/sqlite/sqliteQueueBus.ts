// Over 400 lines on purpose: the queue's writer, its poller, the watermarks, the doorbell and the
// cleanup all work on one connection and one set of prepared statements over message_queue and
// canvas_watermarks, and their timing (poll cadence, backoff, who may delete what) is one policy.
// What stands alone lives beside it: relayedCanvasBus.ts (the bus over any transport), busWire.ts.
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { openSqlite, type SqliteDb } from '../../sqlite/openSqlite.js'
import type { BusHealth } from '../canvasBus.js'
import { DEPLOYMENT_CHANNEL, decodeWire, encodeWire, type WireMessage } from '../busWire.js'
import {
  RelayedCanvasBus,
  type BusTransport,
  type RelayOptions,
  type TransportSink,
} from '../relayedCanvasBus.js'

/** The tunables of BUS=sqlite (docs/scaling.md names their environment variables). */
export interface SqliteQueueTuning {
  /** Poll interval while messages come (BUS_POLL_INTERVAL_MS). */
  pollIntervalMs: number
  /** Poll interval after `idleAfterMs` without a message (BUS_POLL_IDLE_MS). */
  pollIdleMs: number
  /** Rows read per poll; a full batch is followed by another poll at once (BUS_MAX_MESSAGES_PER_POLL). */
  maxMessagesPerPoll: number
  /** A queued message is deleted this long after it was written (BUS_MESSAGE_TTL_MS). */
  messageTtlMs: number
  /** How often expired messages and dead instances' watermarks are deleted (BUS_CLEANUP_INTERVAL_MS). */
  cleanupIntervalMs: number
  /** How often this instance's watermarks are written (BUS_WATERMARK_SAVE_MS). */
  watermarkSaveMs: number
  /** Cursor moves of a canvas merged into one queued message per interval (BUS_CURSOR_BATCH_MS). */
  cursorBatchMs: number
  /** Local listeners are served in process (BUS_LOCAL_BROADCAST). */
  localBroadcast: boolean
  /** The same-host wake-up: fs.watch on DATA_DIR/bus-doorbell (BUS_WAKEUP). */
  wakeUp: boolean
  presenceHeartbeatMs: number
  presenceExpiryMs: number
}

export const SQLITE_QUEUE_DEFAULTS: Readonly<SqliteQueueTuning> = {
  pollIntervalMs: 50,
  pollIdleMs: 500,
  maxMessagesPerPoll: 100,
  messageTtlMs: 60_000,
  cleanupIntervalMs: 10_000,
  watermarkSaveMs: 1_000,
  cursorBatchMs: 100,
  localBroadcast: true,
  wakeUp: true,
  presenceHeartbeatMs: 5_000,
  presenceExpiryMs: 15_000,
}

/** Polls go idle after this long without a message. */
const IDLE_AFTER_MS = 2_000
/** Polls back off on errors, doubling up to this. */
const MAX_BACKOFF_MS = 5_000
/** Health thresholds of the original design: messages not yet processed by every live instance. */
export const QUEUE_THRESHOLDS = {
  warning: { messages: 1_000, ageMs: 10_000 },
  critical: { messages: 5_000, ageMs: 30_000 },
} as const

export const DOORBELL_FILE = 'bus-doorbell'

/** What the queue looks like now, for metrics and /health (measured on the watermark tick). */
export interface QueueStats {
  /** Rows in message_queue. */
  size: number
  /** Age of the oldest row, ms (0 when empty). */
  oldestAgeMs: number
  /** Rows some live instance watching their canvas has not processed yet. */
  backlog: number
  backlogOldestAgeMs: number
  /** This instance's watermark per canvas it watches. */
  watermarks: ReadonlyMap<string, number>
}

export interface QueueObserver {
  /** One poll: its duration and the rows it read. */
  polled(ms: number, rows: number): void
  /** Messages written to the queue. */
  sent(count: number): void
}

export interface SqliteQueueBusOptions {
  dataDir: string
  headSeq: (canvasId: string) => Promise<number>
  now?: () => number
  tuning?: Partial<SqliteQueueTuning>
  observer?: QueueObserver
  onError: (err: unknown, what: string) => void
}

interface Row {
  id: number
  canvas_id: string
  payload: string
}

/**
 * The message queue in the shared SQLite file (BUS=sqlite): several processes on one host with
 * one DATA_DIR. Each process is a `server_instance_id`; it writes what others must hear to
 * `message_queue` in one transaction per event-loop turn and reads, for the canvases it has
 * listeners in, the rows after its watermark. Polling is adaptive (fast while messages come,
 * slow when idle, backing off on errors) and is what keeps delivery correct; a write also
 * touches DATA_DIR/bus-doorbell, which every instance watches (inotify), so a quiet instance
 * polls at once instead of after its interval. A lost wake-up costs one interval, a lost
 * message one log read: the log is the truth.
 */
export class SqliteQueueTransport implements BusTransport {
  readonly instanceId: string
  private readonly db: SqliteDb
  private readonly tuning: SqliteQueueTuning
  private readonly now: () => number
  private readonly watched = new Set<string>()
  /** channel → the highest id handled for it. */
  private readonly watermarks = new Map<string, number>()
  /** Rows up to this id have been read for every watched channel. */
  private position: number
  private outgoing: { channel: string; message: WireMessage }[] = []
  private flushScheduled = false
  private pollTimer: NodeJS.Timeout | undefined
  private pollSoon = false
  private lastMessageAt = 0
  private backoffMs = 0
  private failingSince: number | undefined
  private lastPollOkAt: number
  private writeFailed = false
  private readonly timers: NodeJS.Timeout[] = []
  private watcher: fs.FSWatcher | undefined
  private doorbellFd: number | undefined
  private readonly doorbellPath: string
  private readonly stats: { current: QueueStats } = {
    current: { size: 0, oldestAgeMs: 0, backlog: 0, backlogOldestAgeMs: 0, watermarks: new Map() },
  }
  private closed = false
  private readonly statements: ReturnType<SqliteQueueTransport['prepare']>

  constructor(
    private readonly sink: TransportSink,
    private readonly options: SqliteQueueBusOptions & { instanceId: string },
  ) {
    this.instanceId = options.instanceId
    this.tuning = { ...SQLITE_QUEUE_DEFAULTS, ...options.tuning }
    this.now = options.now ?? Date.now
    // A connection of its own: queued messages are doorbells, not data, so their commits need no
    // fsync (synchronous=NORMAL: a crash may lose the last ones, which the log makes good), and
    // its checkpoints are left to the log's checkpoint worker (docs/scaling.md, "WAL").
    this.db = openSqlite(options.dataDir)
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('wal_autocheckpoint = 0')
    this.statements = this.prepare()
    this.position = this.maxId()
    this.lastPollOkAt = this.now()
    this.doorbellPath = path.join(options.dataDir, DOORBELL_FILE)
    if (this.tuning.wakeUp) this.armWakeUp()
    this.every(this.tuning.watermarkSaveMs, () => this.saveWatermarks())
    this.every(this.tuning.cleanupIntervalMs, () => this.cleanup())
    this.schedulePoll(this.tuning.pollIntervalMs)
  }

  private prepare() {
    const db = this.db
    return {
      insert: db.prepare(
        'INSERT INTO message_queue (canvas_id, message_type, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      poll: db.prepare(
        `SELECT id, canvas_id, payload FROM message_queue
         WHERE canvas_id IN (SELECT value FROM json_each(?)) AND id > ? ORDER BY id LIMIT ?`,
      ),
      maxId: db.prepare('SELECT coalesce(max(id), 0) FROM message_queue').pluck(),
      saveWatermark: db.prepare(
        `INSERT INTO canvas_watermarks (canvas_id, server_instance_id, last_processed_id, updated_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (canvas_id, server_instance_id)
         DO UPDATE SET last_processed_id = excluded.last_processed_id, updated_at = excluded.updated_at`,
      ),
      dropWatermark: db.prepare(
        'DELETE FROM canvas_watermarks WHERE canvas_id = ? AND server_instance_id = ?',
      ),
      dropInstance: db.prepare('DELETE FROM canvas_watermarks WHERE server_instance_id = ?'),
      // Expired and read by every live instance watching its canvas [M4]: an instance that is
      // merely slow or frozen still gets its backlog (a dead one's watermarks go stale first).
      deleteExpired: db.prepare(
        `DELETE FROM message_queue WHERE expires_at <= ? AND NOT EXISTS (
           SELECT 1 FROM canvas_watermarks w
            WHERE w.canvas_id = message_queue.canvas_id AND w.last_processed_id < message_queue.id
              AND w.updated_at >= ?)`,
      ),
      deleteStaleWatermarks: db.prepare('DELETE FROM canvas_watermarks WHERE updated_at < ?'),
      size: db.prepare('SELECT count(*) AS n, min(created_at) AS oldest FROM message_queue'),
      backlog: db.prepare(
        `SELECT count(*) AS n, min(q.created_at) AS oldest FROM message_queue q
         JOIN (SELECT canvas_id, min(last_processed_id) AS w FROM canvas_watermarks
               WHERE updated_at >= ? GROUP BY canvas_id) m
           ON q.canvas_id = m.canvas_id AND q.id > m.w`,
      ),
    }
  }

  watch(channel: string): Promise<void> {
    if (this.watched.has(channel)) return Promise.resolve()
    this.watched.add(channel)
    // Only what comes after: a listener that subscribes reads the log itself (a room loads it).
    // Ids are handed out in commit order, so every later message has a higher id.
    this.watermarks.set(channel, Math.max(this.position, this.maxId()))
    this.pollNow()
    return Promise.resolve()
  }

  unwatch(channel: string): void {
    if (!this.watched.delete(channel)) return
    this.watermarks.delete(channel)
    this.guard('dropping a watermark', () => this.statements.dropWatermark.run(channel, this.instanceId))
  }

  send(channel: string, message: WireMessage): void {
    if (this.closed) return
    this.outgoing.push({ channel, message })
    if (this.flushScheduled) return
    this.flushScheduled = true
    // Everything published in one turn (a fan-out of commits, cursors) is one transaction.
    setImmediate(() => this.flush())
  }

  health(): BusHealth {
    if (this.failingSince !== undefined && this.now() - this.failingSince > 5_000) return 'unavailable'
    const { backlog, backlogOldestAgeMs } = this.stats.current
    const { warning, critical } = QUEUE_THRESHOLDS
    if (backlog >= critical.messages || backlogOldestAgeMs >= critical.ageMs) return 'critical'
    if (backlog >= warning.messages || backlogOldestAgeMs >= warning.ageMs) return 'warning'
    return 'ok'
  }

  queueStats(): QueueStats {
    return this.stats.current
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.flush()
    this.closed = true
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer)
    for (const timer of this.timers) clearInterval(timer)
    this.watcher?.close()
    if (this.doorbellFd !== undefined) fs.closeSync(this.doorbellFd)
    this.guard('dropping watermarks', () => this.statements.dropInstance.run(this.instanceId))
    this.db.close()
    return Promise.resolve()
  }

  // ---- writing --------------------------------------------------------------------------------

  private flush(): void {
    this.flushScheduled = false
    if (this.closed || this.outgoing.length === 0) return
    const batch = this.outgoing
    this.outgoing = []
    const at = this.now()
    const expires = at + this.tuning.messageTtlMs
    const ok = this.guard('writing to the message queue', () =>
      this.db.transaction(() => {
        for (const { channel, message } of batch) {
          const type = message.t === 'ephemeral' ? message.message.kind : message.t
          this.statements.insert.run(channel, type, encodeWire(message), at, expires)
        }
      })(),
    )
    if (!ok) {
      // Lost: the others learn of our heads on the next write that works.
      this.writeFailed = true
      return
    }
    this.options.observer?.sent(batch.length)
    this.ring()
    if (this.writeFailed) {
      this.writeFailed = false
      this.sink.resync()
    }
  }

  /** Wakes every instance watching the doorbell: one byte rewritten in place (inotify IN_MODIFY). */
  private ring(): void {
    if (this.doorbellFd === undefined) return
    fs.write(this.doorbellFd, RING, 0, 1, 0, (err) => {
      if (err) this.options.onError(err, 'ringing the bus doorbell')
    })
  }

  // ---- reading --------------------------------------------------------------------------------

  private armWakeUp(): void {
    try {
      if (this.doorbellFd === undefined) {
        this.doorbellFd = fs.openSync(this.doorbellPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      }
      const watcher = fs.watch(this.doorbellPath, { persistent: false })
      watcher.on('change', () => this.pollNow())
      watcher.on('error', (err) => {
        // The file was replaced or the watch failed: polling carries on; watch again later.
        this.options.onError(err, 'watching the bus doorbell')
        watcher.close()
        if (this.watcher === watcher) this.watcher = undefined
      })
      this.watcher = watcher
    } catch (err) {
      this.options.onError(err, 'arming the bus doorbell')
    }
  }

  private pollNow(): void {
    if (this.pollSoon || this.closed) return
    this.pollSoon = true
    setImmediate(() => {
      this.pollSoon = false
      this.poll()
    })
  }

  private schedulePoll(delayMs: number): void {
    if (this.closed) return
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer)
    this.pollTimer = setTimeout(() => this.poll(), delayMs)
    this.pollTimer.unref()
  }

  private poll(): void {
    if (this.closed) return
    const started = performance.now()
    let rows: Row[] = []
    try {
      if (this.watched.size > 0) {
        rows = this.statements.poll.all(
          JSON.stringify([...this.watched]),
          this.position,
          this.tuning.maxMessagesPerPoll,
        ) as Row[]
      }
    } catch (err) {
      this.failingSince ??= this.now()
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(this.tuning.pollIntervalMs, this.backoffMs * 2))
      this.options.onError(err, 'polling the message queue')
      this.schedulePoll(this.backoffMs)
      return
    }
    const now = this.now()
    this.options.observer?.polled(performance.now() - started, rows.length)
    // Stalled longer than messages live (a stopped process, a failing disk): some may have
    // expired unread, so every listener is told the log's head [BUS7].
    const missed = this.failingSince !== undefined || now - this.lastPollOkAt > this.tuning.messageTtlMs / 2
    this.failingSince = undefined
    this.backoffMs = 0
    this.lastPollOkAt = now
    for (const row of rows) {
      this.position = row.id
      const mark = this.watermarks.get(row.canvas_id)
      if (mark === undefined || row.id <= mark) continue
      this.watermarks.set(row.canvas_id, row.id)
      const message = decodeWire(row.payload)
      if (message) this.sink.receive(row.canvas_id, message)
    }
    if (rows.length > 0) this.lastMessageAt = now
    if (this.armedLate()) this.armWakeUp()
    if (missed) this.sink.resync()
    if (rows.length >= this.tuning.maxMessagesPerPoll) {
      this.pollNow()
      return
    }
    const active = now - this.lastMessageAt < IDLE_AFTER_MS
    this.schedulePoll(active ? this.tuning.pollIntervalMs : this.tuning.pollIdleMs)
  }

  /** The doorbell's watch was lost: arm it again (from a poll, never in its error handler). */
  private armedLate(): boolean {
    return this.tuning.wakeUp && this.watcher === undefined && !this.closed
  }

  private maxId(): number {
    return this.statements.maxId.get() as number
  }

  // ---- upkeep ---------------------------------------------------------------------------------

  private saveWatermarks(): void {
    const now = this.now()
    const watermarks = new Map<string, number>()
    this.guard('saving watermarks', () =>
      this.db.transaction(() => {
        for (const channel of this.watched) {
          if (channel === DEPLOYMENT_CHANNEL) continue
          // Every row up to `position` was read; none was for this channel past its own mark.
          const mark = Math.max(this.watermarks.get(channel) ?? 0, this.position)
          watermarks.set(channel, mark)
          this.statements.saveWatermark.run(channel, this.instanceId, mark, now)
        }
      })(),
    )
    this.measure(now, watermarks)
  }

  private measure(now: number, watermarks: Map<string, number>): void {
    this.guard('measuring the queue', () => {
      const size = this.statements.size.get() as { n: number; oldest: number | null }
      // Live instances are those that saved a watermark within the presence expiry.
      const backlog = this.statements.backlog.get(now - this.tuning.presenceExpiryMs) as {
        n: number
        oldest: number | null
      }
      this.stats.current = {
        size: size.n,
        oldestAgeMs: size.oldest === null ? 0 : Math.max(0, now - size.oldest),
        backlog: backlog.n,
        backlogOldestAgeMs: backlog.oldest === null ? 0 : Math.max(0, now - backlog.oldest),
        watermarks,
      }
    })
  }

  private cleanup(): void {
    const now = this.now()
    this.guard('deleting expired messages', () => {
      // A dead instance's watermarks: it stopped saving them long ago.
      const liveSince = now - 10 * Math.max(this.tuning.watermarkSaveMs, 1_000)
      this.statements.deleteExpired.run(now, liveSince)
      this.statements.deleteStaleWatermarks.run(liveSince)
    })
  }

  private every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms)
    timer.unref()
    this.timers.push(timer)
  }

  private guard(what: string, run: () => unknown): boolean {
    if (this.closed) return false
    try {
      run()
      return true
    } catch (err) {
      this.options.onError(err, what)
      return false
    }
  }
}

const RING = Buffer.from('1')

export type SqliteQueueBus = RelayedCanvasBus<SqliteQueueTransport>

/** BUS=sqlite: a RelayedCanvasBus over the queue in DATA_DIR, with a fresh server_instance_id. */
export function createSqliteQueueBus(options: SqliteQueueBusOptions): SqliteQueueBus {
  const tuning = { ...SQLITE_QUEUE_DEFAULTS, ...options.tuning }
  const instanceId = randomUUID()
  const relay: RelayOptions = {
    instanceId,
    headSeq: options.headSeq,
    localBroadcast: tuning.localBroadcast,
    presenceHeartbeatMs: tuning.presenceHeartbeatMs,
    presenceExpiryMs: tuning.presenceExpiryMs,
    cursorBatchMs: tuning.cursorBatchMs,
    now: options.now ?? Date.now,
    onError: options.onError,
  }
  return new RelayedCanvasBus(
    (sink) => new SqliteQueueTransport(sink, { ...options, tuning, instanceId }),
    relay,
  )
}

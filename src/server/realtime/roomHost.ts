import { applyEntry } from '../../core/room/applyEntry.js'
import { decideBatch } from '../../core/room/decideOp.js'
import { entryEvent } from '../../core/room/entryEvent.js'
import type { LogEntry, OpInput } from '../../core/room/logEntry.js'
import {
  emptyRoom,
  objectsOf,
  rememberOps,
  roomFromSnapshot,
  type RoomState,
} from '../../core/room/roomState.js'
import { CursorBatcher } from '../../core/cursorBatcher.js'
import { can } from '../../core/permissions.js'
import { AppError } from '../../protocol/appError.js'
import type { ClientOpMessage } from '../../protocol/messages.js'
import type { Role } from '../../protocol/roles.js'
import type { OpLog } from '../../log/opLog.js'
import type { FastifyBaseLogger } from 'fastify'
import type { Connection, Member } from './connection.js'
import { FanOut, type Broadcast } from './fanOut.js'
import type { RealtimeLimits } from './realtimeLimits.js'
import { CLOSE_CODES } from '../../protocol/closeCodes.js'
import type { RealtimeMetrics } from './realtimeMetrics.js'

interface QueuedOp {
  connection: Connection
  message: ClientOpMessage
  receivedAt: number
}

export interface RoomHostDeps {
  opLog: OpLog
  limits: Readonly<RealtimeLimits>
  metrics: RealtimeMetrics
  logger: FastifyBaseLogger
  now: () => number
}

const READ_PAGE = 1_000

/**
 * One canvas on this instance: its state (a projection of the log), its sockets, presence,
 * cursor coalescing and the op pipeline validate → decide → append → apply → ack.
 * Owns its timers; close() clears them.
 */
export class RoomHost {
  readonly connections = new Set<Connection>()
  private state: RoomState = emptyRoom()
  private readonly queue: QueuedOp[] = []
  /** The batch being decided and committed; one at a time so decide sees every earlier op [ROOM6]. */
  private inflight: Promise<void> | undefined
  private processScheduled = false
  private readonly fanOut: FanOut<Connection>
  private readonly cursors = new CursorBatcher()
  private cursorTimer: NodeJS.Timeout | undefined
  /** userId → selected object ids (non-empty); presence like cursors, never logged. */
  private readonly selections = new Map<string, readonly string[]>()
  /** Users whose selection changed since the last cursor tick. */
  private readonly selectionsChanged = new Set<string>()
  private snapshotTimer: NodeJS.Timeout | undefined
  private snapshotSeq = 0
  private snapshotting: Promise<void> | undefined
  /** userId → sockets of that user here: one presence however many tabs [presence]. */
  private readonly presence = new Map<string, Set<Connection>>()
  emptySince: number | undefined

  constructor(
    readonly canvasId: string,
    private readonly deps: RoomHostDeps,
  ) {
    this.fanOut = new FanOut(this.connections, deps.limits.fanOutTickMs, deps.now, {
      frames: (n) => deps.metrics.messagesOut.inc(n),
      delay: (ms) => deps.metrics.fanOutSeconds(ms / 1000),
    })
  }

  get seq(): number {
    return this.state.seq
  }

  objects() {
    return objectsOf(this.state)
  }

  /** Snapshot, then the log after it; the entries just before it refill the dedup window. */
  async load(): Promise<void> {
    const { opLog, limits } = this.deps
    const snapshot = await opLog.loadSnapshot(this.canvasId)
    let state = snapshot ? roomFromSnapshot(snapshot.seq, snapshot.objects) : emptyRoom()
    this.snapshotSeq = snapshot?.seq ?? 0
    let after = Math.max(0, state.seq - limits.resumeWindowEntries)
    for (;;) {
      const page = await opLog.readAfter(this.canvasId, after, READ_PAGE)
      if (page.length === 0) break
      state = rememberOps(state, page)
      for (const entry of page) if (entry.seq > state.seq) state = applyEntry(state, entry).state
      after = page[page.length - 1]?.seq ?? after
    }
    this.state = state
  }

  /** Adds a socket: the full state, or with a resumable lastSeq only what it missed. */
  async join(connection: Connection, member: Member, lastSeq: number | undefined): Promise<void> {
    const firstReadable = lastSeq === undefined ? 0 : await this.deps.opLog.firstSeq(this.canvasId)
    if (!connection.isOpen) return
    // From here to addMember nothing awaits: the client's view starts exactly at `at`.
    const at = this.state.seq
    const resumable = lastSeq !== undefined && lastSeq <= at && lastSeq >= firstReadable - 1
    this.emptySince = undefined
    connection.room = this
    connection.member = member
    // Broadcasts still coalescing in the fan-out are about entries <= `at` (and presence before
    // `users`): send them to the members they were meant for now, or they would reach this
    // client too, after its full state or resume, a second time [R1, R5].
    this.fanOut.flush()
    this.addMember(connection, member)
    const welcome = {
      type: 'auth-success',
      userId: member.userId,
      username: member.username,
      color: member.color,
      role: member.role,
      seq: at,
      users: this.users(),
    }
    if (!resumable) {
      connection.sendState({ ...welcome, objects: objectsOf(this.state) })
      this.sendSelections(connection)
      return
    }
    // Broadcasts from here on wait in the outbox until the missed entries are out [R1].
    connection.outbox = []
    let after = lastSeq
    while (after < at) {
      const page = await this.deps.opLog.readAfter(this.canvasId, after, Math.min(READ_PAGE, at - after))
      if (page[0]?.seq !== after + 1) {
        // Trimmed while we read: fall back to the whole state, which includes everything queued;
        // what is still coalescing goes out first, into the outbox being dropped [R5].
        this.fanOut.flush()
        connection.outbox = undefined
        connection.sendState({ ...welcome, seq: this.state.seq, objects: objectsOf(this.state) })
        this.sendSelections(connection)
        return
      }
      connection.sendState({ type: 'batch', messages: page.map(entryEvent) })
      after = page[page.length - 1]?.seq ?? at
    }
    // `objects` stays in the message, empty: the client keeps its state (protocol.md "Resume").
    connection.sendState({ ...welcome, objects: [], resumed: true })
    this.sendSelections(connection)
    const queued = connection.outbox
    connection.outbox = undefined
    for (const frame of queued) connection.deliver(frame)
  }

  leave(connection: Connection): void {
    if (!this.connections.delete(connection)) return
    const member = connection.member
    if (!member) return
    const sockets = this.presence.get(member.userId)
    sockets?.delete(connection)
    if (sockets && sockets.size === 0) {
      this.presence.delete(member.userId)
      this.cursors.remove(member.userId)
      if (this.selections.delete(member.userId)) {
        // The others still show it: tell them it is gone on the next tick.
        this.selectionsChanged.add(member.userId)
        this.startCursorTimer()
      }
      this.broadcast({ type: 'user-disconnected', userId: member.userId, username: member.username })
    }
    if (this.connections.size === 0) {
      this.emptySince = this.deps.now()
      this.stopCursorTimer()
    }
  }

  /** Access changed elsewhere: a removed member's sockets go, a changed role applies at once [Z2]. */
  setRole(userId: string, role: Role | null): void {
    for (const connection of [...(this.presence.get(userId) ?? [])]) {
      if (role === null) {
        this.leave(connection)
        connection.sendError('forbidden', 'you no longer have access to this canvas')
        connection.close(CLOSE_CODES.forbidden, 'access removed')
      } else if (connection.member) {
        connection.member.role = role
      }
    }
  }

  submitOp(connection: Connection, message: ClientOpMessage): void {
    this.queue.push({ connection, message, receivedAt: this.deps.now() })
    this.scheduleProcessing()
  }

  moveCursor(connection: Connection, x: number, y: number): void {
    const member = connection.member
    if (!member || !can(member.role, 'move-cursor')) return
    this.cursors.move(member.userId, x, y)
    this.startCursorTimer()
  }

  /** The user's latest selection replaces the earlier one; sent coalesced on the cursor tick. */
  select(connection: Connection, ids: readonly string[]): void {
    const member = connection.member
    if (!member || !can(member.role, 'move-cursor')) return
    const previous = this.selections.get(member.userId) ?? []
    if (previous.length === ids.length && previous.every((id, i) => id === ids[i])) return
    if (ids.length === 0) this.selections.delete(member.userId)
    else this.selections.set(member.userId, [...ids])
    this.selectionsChanged.add(member.userId)
    this.startCursorTimer()
  }

  /**
   * Entries committed to the log, by this instance or another, applied in seq order. `senders`
   * (seq → socket) are not sent their own entries; `acks` go with the broadcasts (FanOut.publish).
   */
  applyEntries(
    entries: readonly LogEntry[],
    senders?: ReadonlyMap<number, Connection>,
    acks?: ReadonlyMap<Connection, readonly string[]>,
  ): void {
    const broadcasts: Broadcast<Connection>[] = []
    for (const entry of entries) {
      if (entry.seq <= this.state.seq) continue
      const { state, events } = applyEntry(this.state, entry)
      this.state = state
      const except = senders?.get(entry.seq)
      for (const event of events) broadcasts.push({ json: JSON.stringify(event), except })
    }
    this.fanOut.publish(broadcasts, acks)
    this.scheduleSnapshot()
  }

  /** Commits what is queued, sends what is pending, writes a snapshot, clears every timer. */
  async close(): Promise<void> {
    this.stopCursorTimer()
    while (this.inflight || this.queue.length > 0) {
      await (this.inflight ?? this.processQueue())
    }
    this.fanOut.flush()
    this.fanOut.close()
    if (this.snapshotTimer !== undefined) clearTimeout(this.snapshotTimer)
    this.snapshotTimer = undefined
    await this.snapshotNow()
  }

  private addMember(connection: Connection, member: Member): void {
    this.connections.add(connection)
    let sockets = this.presence.get(member.userId)
    if (!sockets) {
      sockets = new Set()
      this.presence.set(member.userId, sockets)
      this.broadcast(
        { type: 'user-connected', userId: member.userId, username: member.username, color: member.color },
        connection,
      )
    }
    sockets.add(connection)
  }

  private users() {
    const users = []
    for (const sockets of this.presence.values()) {
      const member = sockets.values().next().value?.member
      if (member) users.push({ userId: member.userId, username: member.username, color: member.color })
    }
    return users
  }

  private broadcast(message: object, except?: Connection): void {
    this.fanOut.send(JSON.stringify(message), except)
  }

  private scheduleProcessing(): void {
    if (this.processScheduled || this.inflight) return
    this.processScheduled = true
    // Ops from every socket that arrive in this event-loop turn share one decision and one commit.
    setImmediate(() => void this.processQueue())
  }

  private processQueue(): Promise<void> {
    this.processScheduled = false
    if (this.inflight || this.queue.length === 0) return Promise.resolve()
    const batch = this.queue.splice(0)
    this.inflight = this.commit(batch).finally(() => {
      this.inflight = undefined
      if (this.queue.length > 0) this.scheduleProcessing()
    })
    return this.inflight
  }

  private async commit(batch: QueuedOp[]): Promise<void> {
    const live = batch.filter((q) => q.connection.member !== undefined && !q.connection.closed)
    const decisions = decideBatch(
      this.state,
      live.map((q) => ({ member: q.connection.member as Member, message: q.message })),
    )
    const accepted: QueuedOp[] = []
    const inputs: OpInput[] = []
    /** Item index → position in `inputs`, so an in-batch duplicate can be acked with its twin's seq. */
    const position = new Map<number, number>()
    const repeats: { q: QueuedOp; of: number }[] = []
    for (const [i, decision] of decisions.entries()) {
      const q = live[i] as QueuedOp
      switch (decision.kind) {
        case 'reject':
          q.connection.sendError(decision.code, decision.message, q.message.opId, decision.field)
          break
        case 'duplicate':
          // A resend of an operation already in the log: ack it again, store nothing [ROOM5].
          q.connection.sendJson({ type: 'ack', opId: q.message.opId, seq: decision.seq })
          break
        case 'duplicate-in-batch':
          repeats.push({ q, of: decision.index })
          break
        case 'append':
          position.set(i, inputs.length)
          accepted.push(q)
          inputs.push(decision.input)
          break
        default:
          decision satisfies never
      }
    }
    if (inputs.length === 0) return
    let entries: LogEntry[]
    try {
      entries = await this.deps.opLog.append(this.canvasId, inputs)
    } catch (err) {
      // Nothing was stored [LOG2]: every op of the batch is reported as not acked.
      const code = err instanceof AppError ? err.code : 'internal'
      this.deps.logger.error({ err, canvasId: this.canvasId }, 'append failed')
      for (const q of [...accepted, ...repeats.map((r) => r.q)]) {
        q.connection.sendError(code, 'operation not stored, send it again', q.message.opId)
      }
      return
    }
    const committedAt = this.deps.now()
    const senders = new Map<number, Connection>()
    const acks = new Map<Connection, string[]>()
    const ack = (q: QueuedOp, seq: number) => {
      const json = JSON.stringify({ type: 'ack', opId: q.message.opId, seq })
      const list = acks.get(q.connection)
      if (list) list.push(json)
      else acks.set(q.connection, [json])
    }
    entries.forEach((e, i) => {
      const q = accepted[i] as QueuedOp
      senders.set(e.seq, q.connection)
      this.deps.metrics.commitSeconds((committedAt - q.receivedAt) / 1000)
      ack(q, e.seq)
    })
    for (const { q, of } of repeats) {
      const seq = entries[position.get(of) ?? -1]?.seq
      if (seq !== undefined) ack(q, seq)
    }
    this.applyEntries(entries, senders, acks)
  }

  private flushCursors(): void {
    this.flushSelections()
    const message = this.cursors.drain()
    if (!message) {
      if (this.connections.size === 0) this.stopCursorTimer()
      return
    }
    const frame = Buffer.from(JSON.stringify(message))
    let frames = 0
    for (const connection of this.connections) {
      // Cursors are the first thing a falling-behind receiver stops getting [W4].
      if (connection.socket.bufferedAmount > this.deps.limits.slowReceiverBytes) continue
      connection.deliver(frame)
      frames++
    }
    this.deps.metrics.messagesOut.inc(frames)
  }

  /** Selections are state, not motion: unlike cursors they are not skipped for slow receivers. */
  private flushSelections(): void {
    if (this.selectionsChanged.size === 0) return
    const selections = [...this.selectionsChanged].map((userId) => ({
      userId,
      ids: [...(this.selections.get(userId) ?? [])],
    }))
    this.selectionsChanged.clear()
    const frame = Buffer.from(JSON.stringify({ type: 'selections', selections }))
    for (const connection of this.connections) connection.deliver(frame)
    this.deps.metrics.messagesOut.inc(this.connections.size)
  }

  /** Everyone's current selection, to a socket that just joined. */
  private sendSelections(connection: Connection): void {
    if (this.selections.size === 0) return
    const selections = [...this.selections].map(([userId, ids]) => ({ userId, ids: [...ids] }))
    connection.sendJson({ type: 'selections', selections })
  }

  private startCursorTimer(): void {
    this.cursorTimer ??= setInterval(() => this.flushCursors(), this.deps.limits.cursorTickMs)
  }

  private stopCursorTimer(): void {
    if (this.cursorTimer !== undefined) clearInterval(this.cursorTimer)
    this.cursorTimer = undefined
  }

  private scheduleSnapshot(): void {
    const { limits } = this.deps
    if (this.state.seq - this.snapshotSeq >= limits.snapshotEveryEntries) {
      void this.snapshotNow()
      return
    }
    this.snapshotTimer ??= setTimeout(() => {
      this.snapshotTimer = undefined
      void this.snapshotNow()
    }, limits.snapshotDelayMs)
  }

  /** Writes the materialised objects and trims the log behind the resume window. */
  private async snapshotNow(): Promise<void> {
    if (this.snapshotting) return this.snapshotting
    if (this.state.seq <= this.snapshotSeq) return
    const seq = this.state.seq
    const { opLog, limits, logger } = this.deps
    this.snapshotting = (async () => {
      try {
        await opLog.saveSnapshot(this.canvasId, { seq, objects: objectsOf(this.state) })
        this.snapshotSeq = seq
        const trimTo = seq - limits.resumeWindowEntries
        if (trimTo > 0) await opLog.trim(this.canvasId, trimTo)
      } catch (err) {
        // The log still holds everything; the next snapshot tries again.
        logger.warn({ err, canvasId: this.canvasId }, 'snapshot failed')
      } finally {
        this.snapshotting = undefined
      }
    })()
    return this.snapshotting
  }
}

// Over 400 lines on purpose: join, the way in and the way out share one state (the objects, the
// operations in flight, the seats' outboxes, the encoded state) whose invariants hold only if
// they change together. What stands alone lives beside it: roomPresence.ts, snapshotWriter.ts,
// fanOut.ts, encodeInSlices.ts, and the pure core in src/core/room/.
import { can } from '../core/permissions.js'
import { applyEntry } from '../core/room/applyEntry.js'
import { decideBatch, type Member } from '../core/room/decideOp.js'
import { entryEvent } from '../core/room/entryEvent.js'
import type { LogEntry, OpInput, OpRequest } from '../core/room/logEntry.js'
import {
  emptyRoom,
  objectsOf,
  recentOpKey,
  rememberOps,
  roomFromSnapshot,
  type RoomState,
} from '../core/room/roomState.js'
import { Uncommitted, type HeldOp } from '../core/room/uncommitted.js'
import type { CanvasBus, CanvasListener, CanvasNotice, Ephemeral } from '../log/canvasBus.js'
import type { OpLog } from '../log/opLog.js'
import { AppError } from '../protocol/appError.js'
import type { CanvasObject } from '../protocol/objects.js'
import { CLOSE_CODES } from '../protocol/closeCodes.js'
import type { PreviewObject } from '../protocol/messages.js'
import { FanOut, type Broadcast } from './fanOut.js'
import type { OpResult, RoomClient, RoomMember } from './roomClient.js'
import type { RoomLimits, RoomLogger, RoomObserver } from './roomLimits.js'
import { ReadToEndGate } from './readToEndGate.js'
import { RoomPresence } from './roomPresence.js'
import { Seat } from './seat.js'
import { SnapshotWriter } from './snapshotWriter.js'
import { encodeArrayInSlices, withEncoded } from './encodeInSlices.js'

export interface RoomHostDeps {
  opLog: OpLog
  bus: CanvasBus
  limits: Readonly<RoomLimits>
  observer: RoomObserver
  logger: RoomLogger
  now: () => number
}

const READ_PAGE = 1_000
/** Reads of the log to its end for ops naming unknown objects start at most this often [ROOM28]. */
const READ_TO_END_GAP_MS = 100
/** Entries a room reads per turn while loading: at most ~13 MB even of the largest entries. */
const LOAD_PAGE = 64

/** An accepted operation on its way to the log, until it is applied here or has failed. */
interface InFlight {
  held: HeldOp
  seat: Seat | undefined
  receivedAt: number
  /** Answered: applied, or failed. */
  done: boolean
  settle(result: OpResult): void
  /** Resends of the same op that arrived meanwhile, answered with its outcome [ROOM5]. */
  twins: { seat: Seat | undefined; settle(result: OpResult): void }[] | undefined
}

/**
 * One canvas on this instance: its state (a projection of the log), the clients in it (their
 * presence and cursors are RoomPresence's), and the two ways through it (docs/architecture.md):
 *
 * - in: submit() decides operations from any source against the state plus what is still in
 *   flight, and hands the accepted ones to the log, whose group commit is the only queue
 *   between a frame and its fsync [ROOM24];
 * - out: committed() takes entries from the log, whoever committed them, and applies them in seq
 *   order exactly once, reading the log for any gap; applying fans them out and answers the
 *   submitters [ROOM25].
 *
 * Owns its timers; close() clears them. Never sees a socket: clients are RoomClients.
 */
export class RoomHost implements CanvasListener {
  private readonly seats = new Map<RoomClient, Seat>()
  /** The seats as FanOut's receivers. */
  private readonly receivers = new Set<Seat>()
  private state: RoomState = emptyRoom()
  private readonly uncommitted = new Uncommitted()
  /** userId + opId → the op in flight. */
  private readonly inFlight = new Map<string, InFlight>()
  /** seq → our op committed at that seq, until it is applied. */
  private readonly committedOwn = new Map<number, InFlight>()
  /** Entries told to us ahead of a gap, until the gap is read from the log. */
  private readonly ahead = new Map<number, LogEntry>()
  /** The highest seq we know the log has. */
  private knownHead = 0
  private drainScheduled = false
  private catchingUp: Promise<void> | undefined
  private appending = 0
  private appended: (() => void) | undefined
  private deleted = false
  private readonly toEnd: ReadToEndGate
  private readonly fanOut: FanOut<Seat>
  private readonly presence: RoomPresence
  private snapshots: SnapshotWriter | undefined
  private encoded: { seq: number; objects: Promise<Buffer> } | undefined
  emptySince: number | undefined

  constructor(
    readonly canvasId: string,
    private readonly deps: RoomHostDeps,
  ) {
    this.fanOut = new FanOut(this.receivers, deps.limits.fanOutTickMs, deps.now, {
      frames: (n) => deps.observer.frames(n),
      delay: (ms) => deps.observer.fanOutDelay(ms),
    })
    // Real time, not the room clock: this bounds reads of the database.
    this.toEnd = new ReadToEndGate(
      () => this.readToLogEnd(),
      READ_TO_END_GAP_MS,
      () => performance.now(),
    )
    this.presence = new RoomPresence(this.receivers, deps.limits, deps.observer, (message) =>
      deps.bus.publishEphemeral(canvasId, message, this),
    )
  }

  get seq(): number {
    return this.state.seq
  }

  /** The objects as applied here: what an AI command places beside and edits. */
  get objects(): ReadonlyMap<string, CanvasObject> {
    return this.state.objects
  }

  /** How many clients are in the room. */
  get size(): number {
    return this.seats.size
  }

  get isDeleted(): boolean {
    return this.deleted
  }

  /** Snapshot, then the log after it; the entries just before it refill the dedup window. */
  async load(): Promise<void> {
    const { opLog, limits } = this.deps
    const snapshot = await opLog.loadSnapshot(this.canvasId)
    let state = snapshot ? roomFromSnapshot(snapshot.seq, snapshot.objects) : emptyRoom()
    this.snapshots = new SnapshotWriter(
      this.canvasId,
      this.deps,
      () => this.state.seq,
      () => this.encodedObjects(),
      snapshot?.seq ?? 0,
    )
    let after = Math.max(0, state.seq - limits.resumeWindowEntries)
    for (;;) {
      const page = await opLog.readAfter(this.canvasId, after, LOAD_PAGE)
      if (page.length === 0) break
      state = rememberOps(state, page)
      for (const entry of page) if (entry.seq > state.seq) state = applyEntry(state, entry).state
      after = page[page.length - 1]?.seq ?? after
      // A page of large entries takes a while to parse and apply: let others run in between [ROOM27].
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.state = state
    // Told of commits while loading (the registry subscribes first): apply what is newer.
    this.drain()
  }

  /**
   * Adds a client: the full state, or with a resumable lastSeq only what it missed. Resolves
   * false when the client went away meanwhile.
   */
  async join(client: RoomClient, member: RoomMember, lastSeq: number | undefined): Promise<boolean> {
    const firstReadable = lastSeq === undefined ? 0 : await this.deps.opLog.firstSeq(this.canvasId)
    if (!client.isOpen) return false
    // From here to addSeat nothing awaits: the client's view starts exactly at `at`.
    const at = this.state.seq
    const resumable = lastSeq !== undefined && lastSeq <= at && lastSeq >= firstReadable - 1
    this.emptySince = undefined
    // Broadcasts still coalescing in the fan-out are about entries <= `at`: send them to the
    // members they were meant for now, or they would reach this client too, after its full state
    // or resume, a second time [R1, R5]. (Presence waiting for its tick skips it [PRES4].)
    this.fanOut.flush()
    const seat = this.addSeat(client, member)
    const welcome = {
      type: 'auth-success',
      userId: member.userId,
      username: member.username,
      color: member.color,
      role: member.role,
      seq: at,
      users: this.presence.users(),
    }
    if (!resumable) {
      await this.sendWholeState(seat, welcome)
      return client.isOpen
    }
    // Broadcasts from here on wait in the outbox until the missed entries are out [R1].
    seat.outbox = []
    let after = lastSeq
    while (after < at) {
      const page = await this.deps.opLog.readAfter(this.canvasId, after, Math.min(READ_PAGE, at - after))
      if (page[0]?.seq !== after + 1) {
        // Trimmed while we read: fall back to the whole state, which includes everything queued [R5].
        await this.sendWholeState(seat, welcome)
        return client.isOpen
      }
      client.sendState(Buffer.from(JSON.stringify({ type: 'batch', messages: page.map(entryEvent) })))
      after = page[page.length - 1]?.seq ?? at
    }
    // `objects` stays in the message, empty: the client keeps its state (protocol.md "Resume").
    client.sendState(Buffer.from(JSON.stringify({ ...welcome, objects: [], resumed: true })))
    this.releaseOutbox(seat)
    return client.isOpen
  }

  /**
   * The whole canvas as `auth-success`, encoded in slices [ROOM27]: broadcasts that come
   * meanwhile are about later entries and wait in the seat's outbox.
   */
  private async sendWholeState(seat: Seat, welcome: object): Promise<void> {
    // What is still coalescing is about entries the state includes: out now, to the others and
    // into an outbox being dropped, or this client would get it twice [R5].
    this.fanOut.flush()
    seat.outbox = []
    const seq = this.state.seq
    const objects = await this.encodedObjects()
    seat.client.sendState(withEncoded({ ...welcome, seq }, 'objects', objects))
    this.releaseOutbox(seat)
  }

  private releaseOutbox(seat: Seat): void {
    this.presence.sendSelections(seat.client)
    this.presence.sendViewports(seat.client)
    const queued = seat.outbox ?? []
    seat.outbox = undefined
    for (const frame of queued) seat.client.deliver(frame)
  }

  /** `GET /api/canvases/:id/state`'s body, encoded in slices like a join's [ROOM27]. */
  async encodedState(): Promise<Buffer> {
    const seq = this.state.seq
    return withEncoded({ canvasId: this.canvasId, seq }, 'objects', await this.encodedObjects())
  }

  /**
   * The objects at the current seq as a JSON array. Joiners at the same seq (everyone coming back
   * after a restart) share one encoding; it is dropped as soon as the state moves on.
   */
  private encodedObjects(): Promise<Buffer> {
    if (this.encoded?.seq !== this.state.seq) {
      this.encoded = { seq: this.state.seq, objects: encodeArrayInSlices(objectsOf(this.state)) }
    }
    return this.encoded.objects
  }

  leave(client: RoomClient): void {
    const seat = this.seats.get(client)
    if (!seat) return
    this.seats.delete(client)
    this.receivers.delete(seat)
    this.presence.remove(seat)
    if (this.seats.size === 0) this.emptySince = this.deps.now()
  }

  /**
   * The one way in: decides `requests` for `member` now, against the state and every operation
   * still in flight, and sends the accepted ones to the log [ROOM24]. Resolves with each one's
   * outcome once it is applied here (or refused, or failed). When `client` sits in this room its
   * acks ride the frame it gets anyway [ROOM25]; errors are the caller's to report. With
   * `allOrNothing`, one refused operation refuses them all and nothing is stored (an AI
   * command's objects are one batch: a half-made login form is no answer).
   */
  submit(
    member: Member,
    requests: readonly OpRequest[],
    client?: RoomClient,
    options: { allOrNothing?: boolean } = {},
  ): Promise<OpResult[]> {
    const submission: Submission = { member, requests, client, options, mark: this.toEnd.mark() }
    return this.toEnd.inOrder(member.userId, () => this.decide(submission))
  }

  /**
   * Decides a submission against the state plus what is in flight. One that names an object this
   * room does not know waits for a read of the log to its end first [ROOM28].
   */
  private decide(submission: Submission): Promise<OpResult[]> {
    const { member, requests, options } = submission
    if (this.deleted) {
      return Promise.resolve(requests.map((r) => failure(r.opId, 'not_found', 'this canvas was deleted')))
    }
    const decisions = decideBatch(
      this.state,
      requests.map((request) => ({ member, request })),
      this.uncommitted,
    )
    const unknown = decisions.some((d) => d.kind === 'reject' && d.code === 'not_found')
    if (unknown && !this.toEnd.readSince(submission.mark)) {
      return this.toEnd.afterRead(member.userId, submission.mark, () => this.decide(submission))
    }
    const refusal = options.allOrNothing ? decisions.find((d) => d.kind !== 'append') : undefined
    if (refusal !== undefined) {
      const [code, message] =
        refusal.kind === 'reject'
          ? [refusal.code, refusal.message]
          : (['conflict', 'an operation of this batch was already sent'] as const)
      return Promise.resolve(requests.map((r) => failure(r.opId, code, message)))
    }
    const seat = submission.client === undefined ? undefined : this.seats.get(submission.client)
    const receivedAt = this.deps.now()
    const outcomes: Promise<OpResult>[] = []
    const flights: InFlight[] = []
    const inputs: OpInput[] = []
    decisions.forEach((decision, i) => {
      const { opId } = requests[i] as OpRequest
      switch (decision.kind) {
        case 'reject': {
          outcomes.push(Promise.resolve(failure(opId, decision.code, decision.message, decision.field)))
          return
        }
        case 'duplicate':
          // A resend of an operation already in the log: ack it again, store nothing [ROOM5].
          seat?.client.send({ type: 'ack', opId, seq: decision.seq })
          outcomes.push(Promise.resolve({ ok: true, opId, seq: decision.seq }))
          return
        case 'duplicate-pending':
        case 'duplicate-in-batch': {
          const twin = this.inFlight.get(recentOpKey(member.userId, opId))
          outcomes.push(
            twin
              ? new Promise<OpResult>((settle) => (twin.twins ??= []).push({ seat, settle }))
              : Promise.resolve(failure(opId, 'internal', 'operation not stored, send it again')),
          )
          return
        }
        case 'append': {
          const { input, bytes } = decision
          const outcome = new Promise<OpResult>((settle) => {
            const flight: InFlight = {
              held: this.uncommitted.hold(member.userId, opId, input.op, bytes),
              seat,
              receivedAt,
              done: false,
              settle,
              twins: undefined,
            }
            this.inFlight.set(flight.held.key, flight)
            flights.push(flight)
          })
          inputs.push(input)
          outcomes.push(outcome)
          return
        }
        default:
          decision satisfies never
      }
    })
    if (inputs.length > 0) this.append(inputs, flights)
    return Promise.all(outcomes)
  }

  /**
   * The one way out [ROOM25]: entries committed to this canvas's log, by this room or anyone else
   * (the bus), are applied in seq order, each once; a gap is read from the log first.
   */
  committed(entries: readonly LogEntry[], headSeq: number): void {
    for (const entry of entries) if (entry.seq > this.state.seq) this.ahead.set(entry.seq, entry)
    if (headSeq > this.knownHead) this.knownHead = headSeq
    // Entries committed together are applied together: one fan-out for all of them.
    if (this.drainScheduled) return
    this.drainScheduled = true
    queueMicrotask(() => this.drain())
  }

  /** A change made beside the log (over HTTP), on this instance or another. */
  notice(notice: CanvasNotice): void {
    switch (notice.kind) {
      case 'renamed':
        this.presence.flushAnnouncements()
        this.fanOut.send(JSON.stringify({ type: 'canvas-updated', canvas: notice.canvas }))
        return
      case 'access':
        this.setRole(notice.userId, notice.role)
        return
      case 'deleted':
        this.deleted = true
        for (const seat of [...this.seats.values()]) {
          this.leave(seat.client)
          seat.client.evict('not_found', 'this canvas was deleted', CLOSE_CODES.canvasDeleted)
        }
        return
      default:
        notice satisfies never
    }
  }

  /** Presence, cursors and selections from the canvas's rooms on other instances. */
  ephemeral(message: Ephemeral, source: string): void {
    // One room per canvas per instance: what comes from this instance is this room's own.
    if (source !== this.deps.bus.instanceId) this.presence.fromElsewhere(message, source)
  }

  moveCursor(client: RoomClient, x: number, y: number): void {
    const seat = this.seats.get(client)
    if (seat) this.presence.moveCursor(seat.member, x, y)
  }

  /** What the user sees of the canvas, for the others to follow; coalesced like cursors [PROTO19]. */
  moveViewport(client: RoomClient, x: number, y: number, width: number, height: number): void {
    const seat = this.seats.get(client)
    if (seat) this.presence.moveViewport(seat.member, x, y, width, height)
  }

  /** The user's latest selection replaces the earlier one; sent coalesced on the cursor tick. */
  select(client: RoomClient, ids: readonly string[]): void {
    const seat = this.seats.get(client)
    if (seat) this.presence.select(seat.member, ids)
  }

  /** A drag in progress, relayed to the others; refused to a role that may not edit [PROTO18]. */
  preview(client: RoomClient, objects: readonly PreviewObject[]): void {
    const seat = this.seats.get(client)
    if (!seat) return
    if (!can(seat.member.role, 'edit-objects')) {
      client.send({ type: 'error', code: 'forbidden', message: 'viewers cannot edit this canvas' })
      return
    }
    this.presence.preview(seat.member, objects)
  }

  /** Waits for what is in flight, sends what is pending, writes a snapshot, clears every timer. */
  async close(): Promise<void> {
    this.presence.close()
    await this.toEnd.pending
    while (this.appending > 0) await new Promise<void>((resolve) => (this.appended = resolve))
    await this.catchingUp
    this.fanOut.flush()
    this.fanOut.close()
    if (this.deleted) this.snapshots?.stop()
    else await this.snapshots?.close()
  }

  /** Access changed elsewhere: a removed member's clients go, a changed role applies at once [Z2]. */
  private setRole(userId: string, role: RoomMember['role'] | null): void {
    for (const seat of this.presence.seatsOf(userId)) {
      if (role === null) {
        this.leave(seat.client)
        seat.client.evict('forbidden', 'you no longer have access to this canvas', CLOSE_CODES.forbidden)
      } else if (seat.member.role !== role) {
        seat.member.role = role
        seat.client.send({ type: 'role-changed', role })
      }
    }
  }

  private append(inputs: OpInput[], flights: InFlight[]): void {
    this.appending++
    this.deps.opLog.append(this.canvasId, inputs).then(
      (entries) => {
        this.appendDone()
        entries.forEach((entry, i) => {
          const flight = flights[i] as InFlight
          // A catch-up may have read it from the log and applied it before this answer came [ROOM25].
          if (!flight.done) this.committedOwn.set(entry.seq, flight)
        })
        const head = entries[entries.length - 1]?.seq ?? 0
        this.deps.bus.publishCommitted(this.canvasId, head, entries, this)
        this.committed(entries, head)
      },
      (err: unknown) => {
        this.appendDone()
        // Nothing was stored [LOG2]: every op of the call is reported as not acked.
        const code = err instanceof AppError ? err.code : 'internal'
        if (code === 'internal') this.deps.logger.error({ err, canvasId: this.canvasId }, 'append failed')
        for (const flight of flights) {
          this.forget(flight)
          const failed = failure(flight.held.opId, code, 'operation not stored, send it again')
          flight.settle(failed)
          for (const twin of flight.twins ?? []) twin.settle(failed)
        }
      },
    )
  }

  private appendDone(): void {
    this.appending--
    if (this.appending === 0) this.appended?.()
  }

  private forget(flight: InFlight): void {
    flight.done = true
    this.uncommitted.release(flight.held)
    this.inFlight.delete(flight.held.key)
  }

  /** Settles an applied op and its twins; their acks ride the fan-out of the entries applied with it. */
  private answer(flight: InFlight, seq: number, acks: Map<Seat, string[]>): void {
    this.forget(flight)
    this.deps.observer.commitDelay(this.deps.now() - flight.receivedAt)
    const { opId } = flight.held
    const ack = (seat: Seat | undefined) => {
      if (!seat || !this.receivers.has(seat)) return
      const json = JSON.stringify({ type: 'ack', opId, seq })
      const list = acks.get(seat)
      if (list) list.push(json)
      else acks.set(seat, [json])
    }
    ack(flight.seat)
    flight.settle({ ok: true, opId, seq })
    for (const twin of flight.twins ?? []) {
      ack(twin.seat)
      twin.settle({ ok: true, opId, seq })
    }
  }

  /** Applies the entries that follow the state without a gap; reads the log for a gap. */
  private drain(): void {
    this.drainScheduled = false
    const run: LogEntry[] = []
    for (let next = this.state.seq + 1; ; next++) {
      const entry = this.ahead.get(next)
      if (!entry) break
      this.ahead.delete(next)
      run.push(entry)
    }
    if (run.length > 0) this.apply(run)
    const gap = this.knownHead > this.state.seq || this.ahead.size > 0
    if (gap && !this.catchingUp) {
      this.catchingUp = this.catchUp().finally(() => {
        this.catchingUp = undefined
        if (this.knownHead > this.state.seq) this.drain()
      })
    }
  }

  /** Reads what the log has after the state, up to the highest seq we were told of. */
  private async catchUp(): Promise<void> {
    for (const seq of this.ahead.keys()) if (seq > this.knownHead) this.knownHead = seq
    // A failed read: the next commit we hear of tries again; nothing is lost, the log keeps it.
    while (this.state.seq < this.knownHead && !this.deleted && (await this.readPage('catch-up')) > 0);
    for (const seq of [...this.ahead.keys()]) if (seq <= this.state.seq) this.ahead.delete(seq)
  }

  /** Reads and applies what the log has after the state, whatever the bus has told us [ROOM28]. */
  private async readToLogEnd(): Promise<void> {
    await this.catchingUp
    // A failed read: the op is decided against what is here (refused), nothing is lost.
    while (!this.deleted && (await this.readPage('read to the log end')) === READ_PAGE);
  }

  /**
   * Reads one page of the log after the state and applies it. Returns how many entries it read
   * (0 when nothing new, the read failed, or the log was trimmed past this room).
   */
  private async readPage(what: string): Promise<number> {
    let page: LogEntry[]
    try {
      page = await this.deps.opLog.readAfter(this.canvasId, this.state.seq, READ_PAGE)
    } catch (err) {
      this.deps.logger.warn({ err, canvasId: this.canvasId }, `${what} read failed`)
      return 0
    }
    const fresh = page.filter((e) => e.seq > this.state.seq)
    if (fresh.length === 0) return 0
    if (fresh[0]?.seq !== this.state.seq + 1) {
      // Trimmed behind us by a snapshot elsewhere: nothing to do but reload; the log has it all.
      this.deps.logger.warn({ canvasId: this.canvasId, seq: this.state.seq }, 'log trimmed past this room')
      return 0
    }
    for (const entry of fresh) this.ahead.delete(entry.seq)
    const last = fresh[fresh.length - 1]?.seq ?? 0
    if (last > this.knownHead) this.knownHead = last
    this.apply(fresh)
    return page.length
  }

  /** Applies consecutive entries: one fan-out for all of them, acks riding it. */
  private apply(entries: readonly LogEntry[]): void {
    const broadcasts: Broadcast<Seat>[] = []
    const acks = new Map<Seat, string[]>()
    for (const entry of entries) {
      if (entry.seq <= this.state.seq) continue
      const { state, events } = applyEntry(this.state, entry)
      this.state = state
      // Ours whether the log's answer came first or a catch-up read it first.
      const own = this.committedOwn.get(entry.seq) ?? this.inFlight.get(recentOpKey(entry.userId, entry.opId))
      let except: Seat | undefined
      if (own && !own.done) {
        this.committedOwn.delete(entry.seq)
        except = own.seat && this.receivers.has(own.seat) ? own.seat : undefined
        this.answer(own, entry.seq, acks)
      }
      for (const event of events) broadcasts.push({ json: JSON.stringify(event), except })
    }
    this.encoded = undefined
    // Joins and leaves that came before these entries reach everyone before them.
    if (broadcasts.length > 0) this.presence.flushAnnouncements()
    this.fanOut.publish(broadcasts, acks)
    this.snapshots?.changed(this.state.seq)
  }

  private addSeat(client: RoomClient, member: RoomMember): Seat {
    const seat = new Seat(client, member)
    this.seats.set(client, seat)
    this.receivers.add(seat)
    this.presence.add(seat)
    return seat
  }
}

interface Submission {
  member: Member
  requests: readonly OpRequest[]
  client: RoomClient | undefined
  options: { allOrNothing?: boolean }
  /** ReadToEndGate's mark when it arrived. */
  mark: number
}

function failure(opId: string, code: AppError['code'], message: string, field?: string): OpResult {
  return field === undefined ? { ok: false, opId, code, message } : { ok: false, opId, code, message, field }
}

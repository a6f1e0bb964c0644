import WebSocket from 'ws'
import type { RoomEvent, ServerMessage, UnbatchedServerMessage } from '../../src/protocol/messages.js'
import type { CanvasObject, NewObject, ObjectChanges } from '../../src/protocol/objects.js'

/** An operation as a client means it: what it sends, and how it applies once it has a seq. */
export type ReplicaOp =
  | { kind: 'create'; object: NewObject }
  | { kind: 'update'; id: string; changes: ObjectChanges }
  | { kind: 'delete'; id: string }

export type OpOutcome = { ok: true; seq: number } | { ok: false; code: string }

export type JoinKind = 'resumed' | 'full'

const DEFAULT_TIMEOUT_MS = 5_000
const HISTORY = 30

/** The properties a client set: a server object without createdBy, updatedAt and version. */
export function propsOf(object: CanvasObject): NewObject {
  const { createdBy: _createdBy, updatedAt: _updatedAt, version: _version, ...props } = object
  return props
}

/** A client's copy of the apply rules (docs/spec/room.md ROOM10, ROOM14): no-ops are skipped. */
export function applyReplicaOp(objects: Map<string, NewObject>, op: ReplicaOp): void {
  switch (op.kind) {
    case 'create':
      if (!objects.has(op.object.id)) objects.set(op.object.id, { ...op.object })
      return
    case 'update': {
      const current = objects.get(op.id)
      if (current) objects.set(op.id, { ...current, ...op.changes, id: current.id, type: current.type })
      return
    }
    case 'delete':
      objects.delete(op.id)
      return
    default:
      op satisfies never
  }
}

function opOfEvent(event: RoomEvent): ReplicaOp {
  switch (event.type) {
    case 'object-created':
      return { kind: 'create', object: propsOf(event.object) }
    case 'object-updated':
      return { kind: 'update', id: event.id, changes: event.changes }
    case 'object-deleted':
      return { kind: 'delete', id: event.id }
    default:
      return event satisfies never
  }
}

interface PendingOp {
  op: ReplicaOp
  /** Drop the connection when the answer comes, before using it: a lost ack or error. */
  loseAnswer: boolean
  /** A resend of an op whose answer was lost: its entry may be here already. */
  resend: boolean
  resolve(outcome: OpOutcome): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

/**
 * A thin realtime client that keeps what a real one keeps: a map of object properties, the seq
 * up to which it has applied every entry (its `lastSeq`), and the entries that arrived ahead of
 * a gap. Events are applied strictly in seq order; its own op is applied once acked, at the
 * ack's seq (the server does not echo it). It is strict on purpose: an event it already has
 * (duplicate, echo of its own op), a resume that does not end at auth-success's seq, or an
 * error nobody asked for is recorded in `problems` for the test to fail on.
 */
export class SeqOrderedReplica {
  readonly objects = new Map<string, NewObject>()
  /** Every entry with seq <= this has been applied, in order. */
  seq = 0
  readonly problems: string[] = []
  /** Who this client is told is on the canvas (userId → username): auth-success's users, then arrivals and departures. */
  readonly present = new Map<string, string>()
  /** The last messages received, for failure reports. */
  readonly history: string[] = []
  private socket: WebSocket | undefined
  private joined = false
  private resuming = false
  private ahead = new Map<number, ReplicaOp>()
  private readonly pending = new Map<string, PendingOp>()
  private readonly waiters = new Set<() => void>()
  private opCounter = 0
  /** opId → the seq it was acked with: a second ack of an idempotent resend must match it. */
  private readonly answered = new Map<string, number>()
  /** The op whose answer was lost with the connection: a real client sends it again on rejoin. */
  unanswered: { opId: string; op: ReplicaOp } | undefined
  /** userIds of the user-connected broadcasts received since the last join. */
  private readonly arrivals = new Set<string>()
  private onJoin: ((kind: JoinKind) => void) | undefined
  private onJoinFailed: ((error: Error) => void) | undefined

  constructor(
    readonly label: string,
    readonly userId: string,
    private readonly token: string,
  ) {}

  get connected(): boolean {
    return this.socket !== undefined
  }

  /** Opens a socket and authenticates, with `lastSeq` when resuming; resolves once joined. */
  async connect(baseUrl: string, canvasId: string, options: { resume: boolean }): Promise<JoinKind> {
    if (this.socket) throw new Error(`${this.label} is already connected`)
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/${canvasId}`)
    this.socket = socket
    this.joined = false
    this.resuming = options.resume
    this.ahead = new Map()
    this.arrivals.clear()
    socket.on('message', (data, isBinary) => {
      if (this.socket !== socket) return
      const text = rawToString(data)
      if (isBinary) return this.problem(`binary frame ${text.slice(0, 100)}`)
      this.remember(text)
      const message = JSON.parse(text) as ServerMessage
      if (message.type === 'batch') for (const m of message.messages) this.handle(m)
      else this.handle(message)
      this.drain()
    })
    socket.on('close', (code, reason) => {
      if (this.socket !== socket) return
      this.remember(`(closed ${code} ${reason.toString()})`)
      this.detach(new Error(`${this.label}: socket closed ${code} before the answer came`))
    })
    socket.on('error', () => {
      // 'close' follows.
    })
    const joined = new Promise<JoinKind>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${this.label}: not joined within ${DEFAULT_TIMEOUT_MS} ms; ${this.describe()}`)),
        DEFAULT_TIMEOUT_MS,
      )
      this.onJoin = (kind) => {
        clearTimeout(timer)
        resolve(kind)
      }
      this.onJoinFailed = (error) => {
        clearTimeout(timer)
        reject(error)
      }
    })
    socket.once('open', () => {
      const auth: Record<string, unknown> = { type: 'auth', token: this.token }
      if (options.resume) auth.lastSeq = this.seq
      socket.send(JSON.stringify(auth))
    })
    return joined
  }

  /** Cuts the connection abruptly (no close handshake): the client misses what follows. */
  async drop(): Promise<void> {
    const socket = this.socket
    if (!socket) return
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.terminate()
    await closed
  }

  /** Resolves once the socket is gone, e.g. after the server died. */
  async waitForDisconnect(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => this.socket === undefined, timeoutMs, 'disconnected')
  }

  /** Sends the op and resolves with its ack (seq) or the error code the server answered with. */
  submit(op: ReplicaOp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<OpOutcome> {
    this.opCounter += 1
    return this.send(`${this.label}-${this.opCounter}`, op, { loseAnswer: false, resend: false }, timeoutMs)
  }

  /** The opId `submit` would use next, so a caller can send the op again under it (`resubmit`). */
  nextOpId(): string {
    this.opCounter += 1
    return `${this.label}-${this.opCounter}`
  }

  /** Sends `op` under `opId` the first time (from nextOpId). */
  submitAs(opId: string, op: ReplicaOp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<OpOutcome> {
    return this.send(opId, op, { loseAnswer: false, resend: false }, timeoutMs)
  }

  /**
   * Sends `op` again under the same `opId` after its answer did not come in time (a client's
   * idempotent retry, ROOM5): acked with the first seq if it was stored. A late answer to the
   * first send settles it too; the second ack, with the same seq, is then expected.
   */
  resubmit(opId: string, op: ReplicaOp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<OpOutcome> {
    return this.send(opId, op, { loseAnswer: false, resend: true }, timeoutMs)
  }

  /**
   * Sends the op, and when the answer arrives drops the connection before using it, as if the
   * network failed just then: the client does not know whether the op was stored. Resolves with
   * the answer it never saw, for the test's model; the op waits in `unanswered`.
   */
  submitLosingAnswer(op: ReplicaOp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<OpOutcome> {
    this.opCounter += 1
    return this.send(`${this.label}-${this.opCounter}`, op, { loseAnswer: true, resend: false }, timeoutMs)
  }

  /** Sends `unanswered` again with the same opId (idempotent resend, ROOM5); undefined when none. */
  async resendUnanswered(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<OpOutcome | undefined> {
    const lost = this.unanswered
    if (!lost) return undefined
    this.unanswered = undefined
    return this.send(lost.opId, lost.op, { loseAnswer: false, resend: true }, timeoutMs)
  }

  private send(
    opId: string,
    op: ReplicaOp,
    mode: { loseAnswer: boolean; resend: boolean },
    timeoutMs: number,
  ): Promise<OpOutcome> {
    const socket = this.socket
    if (!socket || !this.joined) return Promise.reject(new Error(`${this.label} is not joined`))
    const message =
      op.kind === 'create'
        ? { type: 'object-create', opId, object: op.object }
        : op.kind === 'update'
          ? { type: 'object-update', opId, id: op.id, changes: op.changes }
          : { type: 'object-delete', opId, id: op.id }
    return new Promise<OpOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(opId)
        reject(new Error(`${this.label}: no answer to ${opId} within ${timeoutMs} ms; ${this.describe()}`))
      }, timeoutMs)
      this.pending.set(opId, { op, ...mode, resolve, reject, timer })
      socket.send(JSON.stringify(message))
    })
  }

  /**
   * Resolves once the broadcast announcing `userId` has arrived. A room sends broadcasts in the
   * order it queued them, so everything broadcast before that user joined has arrived too: a
   * barrier for coalesced fan-out, which a ping cannot give.
   */
  async waitForUserConnected(userId: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => this.arrivals.has(userId), timeoutMs, `told that ${userId} connected`)
  }

  /** Resolves once every entry up to `seq` is applied here. */
  async waitForSeq(seq: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => this.seq >= seq, timeoutMs, `applied through seq ${seq}`)
  }

  /** Resolves once `done()` holds, checked after every message; rejects after `timeoutMs`. */
  async waitUntil(done: () => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(done, timeoutMs, what)
  }

  describe(): string {
    return (
      `${this.label}: seq ${this.seq}, ahead [${[...this.ahead.keys()].join(',')}], ` +
      `${this.connected ? (this.joined ? 'joined' : 'joining') : 'disconnected'}, ` +
      `problems ${JSON.stringify(this.problems)}, last messages: ${this.history.join(' | ')}`
    )
  }

  private handle(message: UnbatchedServerMessage): void {
    switch (message.type) {
      case 'auth-success':
        this.present.clear()
        for (const user of message.users) this.present.set(user.userId, user.username)
        return this.welcome(message.seq, message.resumed === true, message.objects)
      case 'object-created':
      case 'object-updated':
      case 'object-deleted':
        // Before auth-success only a resume may send entries (the ones this client missed).
        if (!this.joined && !this.resuming)
          return this.problem(`${message.type} ${message.seq} before joining`)
        return this.receive(message.seq, opOfEvent(message), message.type)
      case 'ack': {
        const pending = this.pending.get(message.opId)
        if (!pending) {
          if (this.answered.get(message.opId) === message.seq) return
          return this.problem(`ack for unknown op ${message.opId}`)
        }
        this.settle(message.opId, pending)
        this.answered.set(message.opId, message.seq)
        if (pending.loseAnswer) return this.loseAnswer(message.opId, pending, { ok: true, seq: message.seq })
        // A resend acked with the first seq (ROOM5): that entry came with the resume or the state.
        if (!(pending.resend && message.seq <= this.seq)) {
          this.receive(message.seq, pending.op, `own op ${message.opId}`)
        }
        return pending.resolve({ ok: true, seq: message.seq })
      }
      case 'error': {
        const pending = message.opId === undefined ? undefined : this.pending.get(message.opId)
        if (!pending || message.opId === undefined) {
          if (!this.joined) return this.onJoinFailed?.(new Error(`${this.label}: ${JSON.stringify(message)}`))
          return this.problem(`unexpected error ${JSON.stringify(message)}`)
        }
        this.settle(message.opId, pending)
        if (pending.loseAnswer)
          return this.loseAnswer(message.opId, pending, { ok: false, code: message.code })
        return pending.resolve({ ok: false, code: message.code })
      }
      case 'user-connected':
        this.arrivals.add(message.userId)
        this.present.set(message.userId, message.username)
        return
      case 'user-disconnected':
        this.present.delete(message.userId)
        return
      case 'cursors':
      case 'selections':
      case 'pong':
      case 'canvas-updated':
      case 'previews':
      case 'viewports':
      case 'role-changed':
        return
      default:
        message satisfies never
    }
  }

  private welcome(seq: number, resumed: boolean, objects: readonly CanvasObject[]): void {
    if (this.joined) return this.problem(`second auth-success at ${seq}`)
    this.drain()
    if (resumed) {
      if (!this.resuming) this.problem(`resumed without lastSeq`)
      // A resume sends every missed entry first: by now this client must be exactly at `seq`.
      if (this.seq !== seq || this.ahead.size > 0) {
        this.problem(
          `resumed at ${seq} but applied through ${this.seq}, ahead [${[...this.ahead.keys()].join(',')}]`,
        )
      }
    } else {
      this.objects.clear()
      for (const object of objects) this.objects.set(object.id, propsOf(object))
      this.seq = seq
      for (const s of this.ahead.keys()) if (s <= seq) this.ahead.delete(s)
    }
    this.joined = true
    this.onJoin?.(resumed ? 'resumed' : 'full')
  }

  private receive(seq: number, op: ReplicaOp, what: string): void {
    if (seq <= this.seq || this.ahead.has(seq)) {
      return this.problem(`${what} at seq ${seq} again (applied through ${this.seq})`)
    }
    this.ahead.set(seq, op)
  }

  private drain(): void {
    for (let op = this.ahead.get(this.seq + 1); op !== undefined; op = this.ahead.get(this.seq + 1)) {
      this.ahead.delete(this.seq + 1)
      applyReplicaOp(this.objects, op)
      this.seq += 1
    }
    for (const wake of this.waiters) wake()
  }

  private loseAnswer(opId: string, pending: PendingOp, outcome: OpOutcome): void {
    this.unanswered = { opId, op: pending.op }
    const socket = this.socket
    this.remember(`(answer to ${opId} lost: dropping the connection)`)
    this.detach(new Error(`${this.label}: connection dropped`))
    socket?.terminate()
    pending.resolve(outcome)
  }

  private settle(opId: string, pending: PendingOp): void {
    clearTimeout(pending.timer)
    this.pending.delete(opId)
  }

  /** The socket is gone: what was ahead of a gap is forgotten (a resume sends it again). */
  private detach(error: Error): void {
    this.socket = undefined
    this.joined = false
    this.ahead = new Map()
    for (const [opId, pending] of this.pending) {
      this.settle(opId, pending)
      pending.reject(error)
    }
    this.onJoinFailed?.(error)
    for (const wake of this.waiters) wake()
  }

  private problem(text: string): void {
    this.problems.push(text)
  }

  private remember(text: string): void {
    this.history.push(text.length > 300 ? `${text.slice(0, 300)}…` : text)
    if (this.history.length > HISTORY) this.history.shift()
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return
        finish()
        resolve()
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`${this.label}: not ${what} within ${timeoutMs} ms; ${this.describe()}`))
      }, timeoutMs)
      const finish = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

import WebSocket from 'ws'
import type { SeededRandom } from './seededRandom.js'

/** An ack as the client received it. */
export interface ReceivedAck {
  canvasId: string
  opId: string
  seq: number
}

export interface OpWriterOptions {
  baseUrl: string
  canvasId: string
  token: string
  /** Prefix of every opId (`<prefix>-000001`…); opIds must be unique across the whole test. */
  opIdPrefix: string
  /** Ops sent and not yet acked (or refused), at most. */
  window: number
  /**
   * Client-side pacing: tokens per second, bucket as large as the window. Keep it under the
   * server's per-connection op bucket so the writer measures durability, not rate limiting.
   * Finite: a huge number means no pacing.
   */
  opsPerSec: number
  /** Stop sending after this many ops; `done` resolves once each is answered. */
  maxOps?: number
  random: SeededRandom
  /** Objects whose create was acked earlier: they exist, so updates may target them. */
  knownObjects?: readonly string[]
  onAck?(ack: ReceivedAck): void
}

export interface OpWriterStats {
  sent: number
  acked: number
  /** Error frames by code (rate_limited included): refused ops, never acks. */
  errors: Record<string, number>
  /** Acks for an opId that was not in flight: a duplicate or foreign ack. */
  unexpectedAcks: string[]
}

/**
 * A raw `ws` client that writes object-create and object-update ops as fast as they are acked,
 * with a window of unacked ops in flight, and records every ack. When the server dies the socket
 * closes and the writer stops; what was acked by then is in `acks`.
 */
export class OpWriter {
  readonly stats: OpWriterStats = { sent: 0, acked: 0, errors: {}, unexpectedAcks: [] }
  readonly acks: ReceivedAck[] = []
  readonly closed: Promise<void>
  /** Resolves when every op of `maxOps` is answered, or when the socket closes. */
  readonly done: Promise<void>
  private readonly inFlight = new Map<string, { createsObject: string | undefined; target?: string }>()
  /** Creates the server refused: an update sent to one before the refusal came is refused too. */
  private readonly refusedCreates = new Set<string>()
  /** Objects created on this connection (sent, not refused) plus the known ones. */
  private readonly objects: string[]
  private readonly ackedCreates: string[] = []
  private tokens: number
  private lastRefill = performance.now()
  private timer: NodeJS.Timeout | undefined
  private running = false
  private counter = 0
  private finish: () => void = () => {}

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: OpWriterOptions,
  ) {
    this.objects = [...(options.knownObjects ?? [])]
    this.tokens = options.window
    this.done = new Promise((resolve) => (this.finish = resolve))
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.running = false
        if (this.timer !== undefined) clearTimeout(this.timer)
        this.finish()
        resolve()
      })
    })
    socket.on('error', () => {
      // A killed server resets the socket; 'close' follows.
    })
  }

  /** Opens `/ws/:canvasId`, authenticates and resolves after auth-success (writing has not begun). */
  static async connect(options: OpWriterOptions): Promise<OpWriter> {
    const socket = new WebSocket(`${options.baseUrl.replace(/^http/, 'ws')}/ws/${options.canvasId}`)
    const writer = new OpWriter(socket, options)
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`writer ${options.opIdPrefix}: ${why}`))
      socket.once('unexpected-response', (_req, res) => fail(`upgrade refused: ${res.statusCode}`))
      socket.once('error', (err) => fail(err.message))
      socket.once('close', (code) => fail(`closed with ${code} before auth-success`))
      socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', token: options.token })))
      socket.on('message', (data) => {
        if (writer.running) return
        const message = JSON.parse(textOf(data)) as { type: string }
        if (message.type === 'auth-success') resolve()
        else if (message.type === 'error') fail(`auth refused: ${textOf(data)}`)
      })
    })
    socket.on('message', (data) => writer.receive(textOf(data)))
    return writer
  }

  /** Starts writing. */
  start(): void {
    this.running = true
    this.lastRefill = performance.now()
    this.pump()
  }

  /** Objects whose create this writer saw acked, plus the known ones: safe targets next time. */
  ackedObjects(): string[] {
    return [...(this.options.knownObjects ?? []), ...this.ackedCreates]
  }

  close(): void {
    this.socket.terminate()
  }

  private receive(text: string): void {
    if (!this.running && this.inFlight.size === 0) return
    const message = JSON.parse(text) as { type: string; messages?: unknown[] }
    const messages = message.type === 'batch' ? (message.messages as { type: string }[]) : [message]
    for (const m of messages as { type: string; opId?: string; seq?: number; code?: string }[]) {
      if (m.type === 'ack' && m.opId !== undefined && m.seq !== undefined) this.onAck(m.opId, m.seq)
      else if (m.type === 'error') this.onError(m.code ?? 'unknown', m.opId)
    }
    this.pump()
  }

  private onAck(opId: string, seq: number): void {
    const op = this.inFlight.get(opId)
    if (op === undefined) {
      this.stats.unexpectedAcks.push(`${opId}@${seq}`)
      return
    }
    this.inFlight.delete(opId)
    if (op.createsObject !== undefined) this.ackedCreates.push(op.createsObject)
    this.stats.acked += 1
    const ack = { canvasId: this.options.canvasId, opId, seq }
    this.acks.push(ack)
    this.options.onAck?.(ack)
  }

  private onError(code: string, opId: string | undefined): void {
    const op = opId === undefined ? undefined : this.inFlight.get(opId)
    // With a window of several ops, an update can leave before its object's create is refused:
    // its not_found is the create's refusal showing again, counted apart from real not_founds.
    const counted =
      code === 'not_found' && op?.target !== undefined && this.refusedCreates.has(op.target)
        ? 'not_found_after_refused_create'
        : code
    this.stats.errors[counted] = (this.stats.errors[counted] ?? 0) + 1
    if (opId === undefined) return
    this.inFlight.delete(opId)
    // A refused create made nothing: later updates must not target it.
    if (op?.createsObject !== undefined) {
      this.refusedCreates.add(op.createsObject)
      const at = this.objects.indexOf(op.createsObject)
      if (at >= 0) this.objects.splice(at, 1)
    }
  }

  private pump(): void {
    if (!this.running) return
    const { window, opsPerSec, maxOps } = this.options
    const now = performance.now()
    this.tokens = Math.min(window, this.tokens + ((now - this.lastRefill) * opsPerSec) / 1000)
    this.lastRefill = now
    const more = () => maxOps === undefined || this.stats.sent < maxOps
    while (more() && this.inFlight.size < window && this.tokens >= 1) {
      this.sendOne()
      this.tokens -= 1
    }
    if (!more() && this.inFlight.size === 0) {
      this.running = false
      this.finish()
      return
    }
    if (more() && this.inFlight.size < window && this.timer === undefined) {
      // Pacing: wake when the next token is due (an ack wakes us earlier).
      const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / opsPerSec))
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.pump()
      }, wait)
    }
  }

  private sendOne(): void {
    const { random } = this.options
    this.counter += 1
    // Fixed width, so an opId is never a prefix of another (the fsync check finds them in WAL pages).
    const opId = `${this.options.opIdPrefix}-${String(this.counter).padStart(6, '0')}`
    const create = this.objects.length === 0 || random.next() < 0.125
    let message: object
    let createsObject: string | undefined
    let target: string | undefined
    if (create) {
      // Not containing the opId: only the op's own row should hold that string.
      createsObject = `o${this.counter}-${this.options.opIdPrefix}`
      this.objects.push(createsObject)
      message = {
        type: 'object-create',
        opId,
        object: {
          id: createsObject,
          type: 'rect',
          x: random.int(0, 2000),
          y: random.int(0, 2000),
          width: random.int(1, 300),
          height: random.int(1, 300),
          fill: '#3366ff',
        },
      }
    } else {
      const id = this.objects[random.int(0, this.objects.length - 1)] as string
      target = id
      message = {
        type: 'object-update',
        opId,
        id,
        changes: { x: random.int(0, 2000), y: random.int(0, 2000) },
      }
    }
    this.inFlight.set(opId, { createsObject, target })
    this.stats.sent += 1
    this.socket.send(JSON.stringify(message))
  }
}

function textOf(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}

/**
 * Per-room delivery of broadcasts. Each message is encoded once; a quiet room sends it at
 * once, a busy one (more than one message within a tick) coalesces everything of the tick
 * into one `batch` frame per receiver, so frames per second stay bounded by receivers × ticks
 * whatever the message rate (design.md: the cost is frames, not JavaScript).
 *
 * Acks wait for no tick of their own, but when a commit's events go out at once, each sender's
 * acks ride in the frame it gets anyway: every frame is a socket write, the largest cost of a
 * busy server (performance.md). An ack never overtakes a broadcast its receiver is owed that was
 * queued before it (an earlier seq): it then rides in that tick's frame.
 */
export interface Receiver {
  /** Sends one pre-encoded text frame. */
  deliver(frame: Buffer): void
}

/** One encoded server message for every receiver but `except`. */
export interface Broadcast<R extends Receiver> {
  json: string
  except?: R | undefined
}

interface Pending extends Broadcast<Receiver> {
  /** When it was handed over: the wait until its frame is written is the fan-out latency. */
  at: number
}

export interface FanOutObserver {
  /** Frames written to sockets. */
  frames(count: number): void
  /** How long a message waited for its frame, in ms. */
  delay(ms: number): void
}

/** No acks: a map with no keys, shared so a call without acks allocates nothing. */
const NO_ACKS: ReadonlyMap<never, readonly string[]> = new Map<never, readonly string[]>()

export class FanOut<R extends Receiver> {
  private pending: Pending[] = []
  /** receiver → how many pending broadcasts exclude it: it is owed one when fewer than all do. */
  private excludedFromPending = new Map<Receiver, number>()
  /** Acks held back behind pending broadcasts their receivers are owed: they ride in the tick's frame. */
  private pendingAcks = new Map<Receiver, string[]>()
  private timer: NodeJS.Timeout | undefined
  private lastImmediateAt = -Infinity

  constructor(
    private readonly receivers: ReadonlySet<R>,
    private readonly tickMs: number,
    private readonly now: () => number,
    private readonly observer: FanOutObserver,
  ) {}

  /** Queues `json` (one encoded server message) for every receiver but `except`. */
  send(json: string, except?: R): void {
    this.publish([{ json, except }])
  }

  /**
   * Queues a commit's broadcasts, and sends `acks` (receiver → encoded acks) now: inside the
   * frame that carries the broadcasts when the room is quiet, on their own while it coalesces.
   */
  publish(broadcasts: readonly Broadcast<R>[], acks: ReadonlyMap<R, readonly string[]> = NO_ACKS): void {
    const now = this.now()
    if (this.timer === undefined && now - this.lastImmediateAt >= this.tickMs) {
      if (broadcasts.length > 0) this.lastImmediateAt = now
      this.deliver(
        broadcasts.map((b) => ({ json: b.json, except: b.except, at: now })),
        acks,
      )
      return
    }
    for (const b of broadcasts) {
      this.pending.push({ json: b.json, except: b.except, at: now })
      if (b.except) this.excludedFromPending.set(b.except, (this.excludedFromPending.get(b.except) ?? 0) + 1)
    }
    if (this.pending.length > 0) {
      this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.tickMs - (now - this.lastImmediateAt)))
    }
    if (acks.size === 0) return
    const atOnce = new Map<Receiver, readonly string[]>()
    for (const [r, list] of acks) {
      const held = this.pendingAcks.get(r)
      if (held) held.push(...list)
      else if (this.pending.length > (this.excludedFromPending.get(r) ?? 0))
        this.pendingAcks.set(r, [...list])
      else atOnce.set(r, list)
    }
    if (atOnce.size > 0) this.deliver([], atOnce)
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const pending = this.pending
    const acks = this.pendingAcks
    this.pending = []
    this.pendingAcks = new Map()
    this.excludedFromPending = new Map()
    this.lastImmediateAt = this.now()
    if (pending.length > 0 || acks.size > 0) this.deliver(pending, acks)
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.pending = []
    this.pendingAcks = new Map()
    this.excludedFromPending = new Map()
  }

  private deliver(messages: readonly Pending[], acks: ReadonlyMap<Receiver, readonly string[]>): void {
    // Receivers excluded from no message and owed no ack share one frame; the others get their own.
    const own = new Set<Receiver>(acks.keys())
    for (const m of messages) if (m.except) own.add(m.except)
    let frames = 0
    if (messages.length > 0) {
      const shared = encodeFrame(messages.map((m) => m.json))
      for (const r of this.receivers) {
        if (!own.has(r)) {
          r.deliver(shared)
          frames++
        }
      }
    }
    for (const r of own) {
      // A receiver that left meanwhile gets nothing.
      if (!this.receivers.has(r as R)) continue
      const jsons = messages.filter((m) => m.except !== r).map((m) => m.json)
      jsons.push(...(acks.get(r) ?? []))
      if (jsons.length === 0) continue
      r.deliver(encodeFrame(jsons))
      frames++
    }
    this.observer.frames(frames)
    const now = this.now()
    for (const m of messages) this.observer.delay(now - m.at)
  }
}

/** Messages already encoded, as one frame: alone, or a `batch`. */
export function encodeFrame(jsons: readonly string[]): Buffer {
  if (jsons.length === 1) return Buffer.from(jsons[0] ?? '')
  // The messages are JSON already: join them instead of re-encoding.
  return Buffer.from(`{"type":"batch","messages":[${jsons.join(',')}]}`)
}

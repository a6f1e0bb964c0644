/**
 * Per-room delivery of broadcasts. Each message is encoded once; a quiet room sends it at
 * once, a busy one (more than one message within a tick) coalesces everything of the tick
 * into one `batch` frame per receiver, so frames per second stay bounded by receivers × ticks
 * whatever the message rate (design.md: the cost is frames, not JavaScript).
 */
export interface Receiver {
  /** Sends one pre-encoded text frame. */
  deliver(frame: Buffer): void
}

interface Pending {
  json: string
  except: Receiver | undefined
  /** When it was handed over: the wait until its frame is written is the fan-out latency. */
  at: number
}

export interface FanOutObserver {
  /** Frames written to sockets. */
  frames(count: number): void
  /** How long a message waited for its frame, in ms. */
  delay(ms: number): void
}

export class FanOut<R extends Receiver> {
  private pending: Pending[] = []
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
    const now = this.now()
    if (this.timer === undefined && now - this.lastImmediateAt >= this.tickMs) {
      this.lastImmediateAt = now
      this.deliver([{ json, except, at: now }])
      return
    }
    this.pending.push({ json, except, at: now })
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.tickMs - (now - this.lastImmediateAt)))
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const pending = this.pending
    this.pending = []
    this.lastImmediateAt = this.now()
    if (pending.length > 0) this.deliver(pending)
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.pending = []
  }

  private deliver(messages: readonly Pending[]): void {
    // Receivers excluded from no message share one frame; senders get their own.
    const excluded = new Set<Receiver>()
    for (const m of messages) if (m.except) excluded.add(m.except)
    const shared = encodeFrame(messages)
    let frames = 0
    for (const r of this.receivers) {
      if (!excluded.has(r)) {
        r.deliver(shared)
        frames++
      }
    }
    for (const r of excluded) {
      // A sender that left meanwhile gets nothing.
      if (!this.receivers.has(r as R)) continue
      const own = messages.filter((m) => m.except !== r)
      if (own.length === 0) continue
      r.deliver(encodeFrame(own))
      frames++
    }
    this.observer.frames(frames)
    const now = this.now()
    for (const m of messages) this.observer.delay(now - m.at)
  }
}

function encodeFrame(messages: readonly Pending[]): Buffer {
  if (messages.length === 1) return Buffer.from(messages[0]?.json ?? '')
  // The messages are JSON already: join them instead of re-encoding.
  return Buffer.from(`{"type":"batch","messages":[${messages.map((m) => m.json).join(',')}]}`)
}

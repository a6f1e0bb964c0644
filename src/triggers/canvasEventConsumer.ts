import type { FastifyBaseLogger } from 'fastify'
import type { CanvasEventSource } from './canvasEventSource.js'
import { canvasEventsOf } from './canvasEvents.js'

export interface CanvasEventConsumerOptions {
  source: CanvasEventSource
  logger: FastifyBaseLogger
  /** How often the log is checked for canvases ahead of their position. */
  pollMs: number
  /** Told after each pass that stored events (the webhook worker then looks for due deliveries). */
  onEvents: () => void
}

const CANVASES_PER_PASS = 100
const ENTRIES_PER_TRANSACTION = 500

/**
 * Turns op log entries into canvas events. Each pass asks the source for canvases whose log is
 * ahead of their position and consumes them a transaction at a time; the position moves in the
 * transaction that stores the events, so a crash or a second instance can neither skip nor repeat
 * an entry [CEV1]. Woken early by `wake()` (a commit here); other instances' commits are seen at
 * the next poll.
 */
export class CanvasEventConsumer {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private closed = false

  constructor(private readonly o: CanvasEventConsumerOptions) {}

  start(): void {
    this.schedule(0)
  }

  wake(): void {
    if (this.closed) return
    if (this.running) {
      this.again = true
      return
    }
    this.schedule(0)
  }

  /** Runs passes until the log has nothing new; for tests and shutdown. */
  async drain(): Promise<void> {
    while (this.running) await this.running
    this.running = this.pass()
    await this.running
  }

  private schedule(ms: number): void {
    if (this.closed) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      if (this.running) return
      this.running = this.pass()
    }, ms)
  }

  private async pass(): Promise<void> {
    let stored = false
    try {
      do {
        this.again = false
        const canvases = await this.o.source.canvasesBehind(CANVASES_PER_PASS)
        for (const canvasId of canvases) {
          while ((await this.o.source.consumeCanvas(canvasId, ENTRIES_PER_TRANSACTION, canvasEventsOf)) > 0) {
            stored = true
            if (this.closed) return
          }
        }
        if (canvases.length === CANVASES_PER_PASS) this.again = true
      } while (this.again && !this.closed)
    } catch (err) {
      this.o.logger.warn({ err }, 'canvas event consumer pass failed')
    } finally {
      this.running = undefined
      if (stored) this.o.onEvents()
      this.schedule(this.o.pollMs)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    await this.running
  }
}

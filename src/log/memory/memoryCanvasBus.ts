import { randomUUID } from 'node:crypto'
import type { LogEntry } from '../../core/room/logEntry.js'
import type { PresenceUser } from '../../protocol/messages.js'
import type {
  BusHealth,
  CanvasBus,
  CanvasListener,
  CanvasNotice,
  Ephemeral,
  SessionEndedListener,
} from '../canvasBus.js'

/**
 * Sets tolerate a listener unsubscribing (a deleted canvas's room) while they are iterated: no
 * copy per publish, which runs on every commit.
 */
const NONE: ReadonlySet<CanvasListener> = new Set()

/**
 * The bus of one process (BUS=memory): listeners are called synchronously, in subscription order,
 * with the entries themselves, so nothing is ever missed and no one reads the log for it. There
 * are no other instances: sessions ended here concern only this process's own listeners, which
 * Accounts tells directly.
 */
export class MemoryCanvasBus implements CanvasBus {
  readonly instanceId = randomUUID()
  private readonly listeners = new Map<string, Set<CanvasListener>>()
  /** The latest presence published per canvas, for listeners that subscribe later [BUS5]. */
  private readonly presence = new Map<string, PresenceUser[]>()
  private closed = false

  publishCommitted(
    canvasId: string,
    headSeq: number,
    entries: readonly LogEntry[],
    from?: CanvasListener,
  ): void {
    for (const listener of this.listeners.get(canvasId) ?? NONE) {
      if (listener !== from) listener.committed(entries, headSeq)
    }
  }

  publishNotice(canvasId: string, notice: CanvasNotice): void {
    for (const listener of this.listeners.get(canvasId) ?? NONE) listener.notice(notice)
  }

  publishEphemeral(canvasId: string, message: Ephemeral, from?: CanvasListener): void {
    if (message.kind === 'presence') {
      if (message.users.length > 0) this.presence.set(canvasId, message.users)
      else this.presence.delete(canvasId)
    }
    for (const listener of this.listeners.get(canvasId) ?? NONE) {
      if (listener !== from) listener.ephemeral(message, this.instanceId)
    }
  }

  publishSessionEnded(): void {}

  onSessionEnded(listener: SessionEndedListener): () => void {
    void listener
    return () => undefined
  }

  subscribe(canvasId: string, listener: CanvasListener): () => void {
    if (this.closed) return () => undefined
    let set = this.listeners.get(canvasId)
    if (!set) this.listeners.set(canvasId, (set = new Set()))
    set.add(listener)
    const users = this.presence.get(canvasId)
    if (users) listener.ephemeral({ kind: 'presence', users }, this.instanceId)
    return () => {
      const current = this.listeners.get(canvasId)
      if (current?.delete(listener) && current.size === 0) {
        this.listeners.delete(canvasId)
        this.presence.delete(canvasId)
      }
    }
  }

  ready(): Promise<void> {
    return Promise.resolve()
  }

  health(): BusHealth {
    return 'ok'
  }

  close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
    this.presence.clear()
    return Promise.resolve()
  }
}

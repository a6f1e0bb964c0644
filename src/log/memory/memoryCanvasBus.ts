import type { LogEntry } from '../../core/room/logEntry.js'
import type { CanvasBus, CanvasListener, CanvasNotice } from '../canvasBus.js'

/**
 * Sets tolerate a listener unsubscribing (a deleted canvas's room) while they are iterated: no
 * copy per publish, which runs on every commit.
 */
const NONE: ReadonlySet<CanvasListener> = new Set()

/**
 * The bus of one process (BUS=memory): listeners are called synchronously, in subscription order,
 * with the entries themselves, so nothing is ever missed and no one reads the log for it.
 */
export class MemoryCanvasBus implements CanvasBus {
  private readonly listeners = new Map<string, Set<CanvasListener>>()
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

  subscribe(canvasId: string, listener: CanvasListener): () => void {
    if (this.closed) return () => undefined
    let set = this.listeners.get(canvasId)
    if (!set) this.listeners.set(canvasId, (set = new Set()))
    set.add(listener)
    return () => {
      const current = this.listeners.get(canvasId)
      if (current?.delete(listener) && current.size === 0) this.listeners.delete(canvasId)
    }
  }

  close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
    return Promise.resolve()
  }
}

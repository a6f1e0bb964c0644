import type { OpLog } from '../log/opLog.js'
import type { RoomLimits, RoomLogger } from './roomLimits.js'

/**
 * Writes a room's materialised objects to the log's snapshot and trims the log behind the resume
 * window [LOG6, LOG7]: after `snapshotEveryEntries` applied entries, or `snapshotDelayMs` after a
 * change. One write at a time; a failed one leaves the log whole and the next tries again.
 */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> | undefined

  constructor(
    private readonly canvasId: string,
    private readonly deps: {
      opLog: OpLog
      limits: Readonly<Pick<RoomLimits, 'snapshotEveryEntries' | 'snapshotDelayMs' | 'resumeWindowEntries'>>
      logger: RoomLogger
    },
    /** The room's current seq. */
    private readonly seq: () => number,
    /** The room's objects at its current seq, as a JSON array. */
    private readonly encode: () => Promise<Buffer>,
    /** The seq of the snapshot the room loaded from. */
    private savedSeq: number,
  ) {}

  /** The room applied entries up to `seq`. */
  changed(seq: number): void {
    const { limits } = this.deps
    if (seq - this.savedSeq >= limits.snapshotEveryEntries) {
      void this.write()
      return
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      void this.write()
    }, limits.snapshotDelayMs)
  }

  /** Stops the timer and writes what is not saved yet. */
  async close(): Promise<void> {
    this.stop()
    await this.write()
  }

  /** Stops the timer and writes nothing more (the canvas is gone). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private write(): Promise<void> {
    if (this.writing) return this.writing
    const seq = this.seq()
    if (seq <= this.savedSeq) return Promise.resolve()
    const encoded = this.encode()
    const { opLog, limits, logger } = this.deps
    this.writing = (async () => {
      try {
        await opLog.saveSnapshot(this.canvasId, { seq, objectsJson: (await encoded).toString() })
        this.savedSeq = seq
        const trimTo = seq - limits.resumeWindowEntries
        if (trimTo > 0) await opLog.trim(this.canvasId, trimTo)
      } catch (err) {
        // The log still holds everything; the next snapshot tries again.
        logger.warn({ err, canvasId: this.canvasId }, 'snapshot failed')
      } finally {
        this.writing = undefined
      }
    })()
    return this.writing
  }
}

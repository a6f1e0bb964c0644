/** The limits and ticks of a room (the gateway's own are in server/realtime/realtimeLimits.ts). */
export interface RoomLimits {
  /** Cursor frames are skipped for a receiver whose send buffer is above this [W4]. */
  slowReceiverBytes: number
  /** Cursor moves are coalesced and sent on this tick [~30 Hz]. */
  cursorTickMs: number
  /** A busy room coalesces broadcasts into one frame per receiver per tick. */
  fanOutTickMs: number
  /** Log entries kept behind the snapshot so clients can resume with lastSeq [R4]. */
  resumeWindowEntries: number
  /** A snapshot is written after this many applied entries, or `snapshotDelayMs` after a change. */
  snapshotEveryEntries: number
  snapshotDelayMs: number
  /** An empty room stays loaded this long in case someone comes back. */
  emptyRoomTtlMs: number
}

/** What a room reports; the server turns it into metrics. */
export interface RoomObserver {
  /** Frames written to clients. */
  frames(count: number): void
  /** How long a broadcast waited for its frame, in ms. */
  fanOutDelay(ms: number): void
  /** From an operation's arrival to its commit, in ms. */
  commitDelay(ms: number): void
  /** Rooms loaded on this instance. */
  rooms(count: number): void
}

/** Where a room logs what went wrong (pino's shape). */
export interface RoomLogger {
  warn(details: object, message: string): void
  error(details: object, message: string): void
}

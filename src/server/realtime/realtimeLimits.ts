import type { BucketRule } from '../../core/tokenBucket.js'
import type { RoomLimits } from '../../rooms/roomLimits.js'

/** Every limit of the realtime gateway and its rooms in one place (docs/protocol.md lists them). */
export interface RealtimeLimits extends RoomLimits {
  /** Largest frame accepted; a bigger one closes the socket with 1009 [W2]. */
  maxPayloadBytes: number
  /** Fragments per message; more closes the socket [W2]. */
  maxFragments: number
  /** A socket that has not authenticated by then gets 4401 [W6]. */
  authTimeoutMs: number
  /** Sockets connected but not yet authenticated, across the process [W6]. */
  maxUnauthenticated: number
  /**
   * The same, from one client address (an IPv6 client's /64): one address cannot take the
   * process-wide slots from everyone else [W6].
   */
  maxUnauthenticatedPerAddress: number
  /** Open sockets one user may hold across all canvases of this process [I1]. */
  maxConnectionsPerUser: number
  /** Frames held while a room loads, by count and bytes. */
  maxBufferedFrames: number
  maxBufferedBytes: number
  /** Heartbeat: a socket that misses a pong for a whole interval is terminated [W6]. */
  pingIntervalMs: number
  /** A receiver whose send buffer passes this is closed with 4009 (it may resume) [W4]. */
  maxSendBufferBytes: number
  ops: BucketRule
  cursors: BucketRule
  /**
   * Every frame a socket sends (auth, pings, control pings and pongs, cursors, selections,
   * ops, invalid and binary frames) spends one token, on top of the per-kind buckets above;
   * beyond → refused and a strike [W3].
   */
  messages: BucketRule
  /** The same budget per user, across that user's sockets in this process [W3]. */
  userMessages: BucketRule
  /**
   * Joins per user: each costs the canvas's state sent and a presence change for everyone else,
   * so a reconnect loop is refused (4029) rather than served [W5 joins].
   */
  userJoins: BucketRule
  /** Rejections a socket may earn before it is closed with 4008 [W5]. */
  strikes: BucketRule
  /** How often open sockets are checked for expired sessions and missed deadlines. */
  sweepIntervalMs: number
}

export const DEFAULT_REALTIME_LIMITS: Readonly<RealtimeLimits> = Object.freeze({
  maxPayloadBytes: 256 * 1024,
  maxFragments: 64,
  authTimeoutMs: 4_750,
  maxUnauthenticated: 5_000,
  // A legitimate client is unauthenticated for a round trip; 50 at once leaves room for a whole
  // office behind one NAT reconnecting after a restart (refused ones retry with backoff).
  maxUnauthenticatedPerAddress: 50,
  maxConnectionsPerUser: 50,
  maxBufferedFrames: 200,
  maxBufferedBytes: 1024 * 1024,
  pingIntervalMs: 30_000,
  slowReceiverBytes: 256 * 1024,
  maxSendBufferBytes: 1024 * 1024,
  cursorTickMs: 33,
  fanOutTickMs: 16,
  // Generous for people (a drag at 60 fps is 60/s) and scripts, finite for floods [W5].
  ops: { capacity: 1_000, refillPerSec: 500 },
  cursors: { capacity: 120, refillPerSec: 60 },
  // Above ops + cursors together (a drag sends both), with room for pings; a ping costs a parse
  // and a write, so 750/s from one socket is ~1-2 % of a core, not the whole event loop.
  messages: { capacity: 1_500, refillPerSec: 750 },
  // Several tabs of one person; 50 sockets of one user do not get 50 budgets.
  userMessages: { capacity: 3_000, refillPerSec: 1_500 },
  // Every tab of a person reopening at once after a restart (50 sockets at most), then one
  // join every half second: a reconnecting client backs off far slower than that.
  userJoins: { capacity: 60, refillPerSec: 2 },
  strikes: { capacity: 200, refillPerSec: 10 },
  resumeWindowEntries: 10_000,
  snapshotEveryEntries: 1_000,
  snapshotDelayMs: 5_000,
  emptyRoomTtlMs: 30_000,
  // Auth deadline + one sweep stays within 5 s [W6]; 19,000 sockets cost ~1 ms a sweep.
  sweepIntervalMs: 250,
})

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
  strikes: { capacity: 200, refillPerSec: 10 },
  resumeWindowEntries: 10_000,
  snapshotEveryEntries: 1_000,
  snapshotDelayMs: 5_000,
  emptyRoomTtlMs: 30_000,
  // Auth deadline + one sweep stays within 5 s [W6]; 19,000 sockets cost ~1 ms a sweep.
  sweepIntervalMs: 250,
})

import type { CloseCode } from '../protocol/closeCodes.js'
import type { ErrorCode } from '../protocol/errorCodes.js'
import type { Role } from '../protocol/roles.js'
import type { Receiver } from './fanOut.js'

/** Who is in a room. The room changes `role` when the owner changes it [Z2]. */
export interface RoomMember {
  userId: string
  username: string
  color: string
  role: Role
}

/**
 * What a room needs of whoever sits in it (a WebSocket here; the room never sees a socket).
 * Everything is fire-and-forget: a client that went away ignores what it is sent.
 */
export interface RoomClient extends Receiver {
  readonly isOpen: boolean
  /** Bytes handed over but not yet on the wire: cursors skip a receiver that falls behind [W4]. */
  readonly bufferedAmount: number
  send(message: object): void
  /** One encoded frame of canvas state or a resume page: large on purpose, not counted as falling behind. */
  sendState(frame: Buffer): void
  /** The room ends this client's membership (access removed, canvas deleted): a last error, then the close code. */
  evict(code: ErrorCode, message: string, closeCode: CloseCode): void
}

/** One operation's outcome: its seq once durably in the log, or why it is not. */
export type OpResult =
  | { ok: true; opId: string; seq: number }
  | { ok: false; opId: string; code: ErrorCode; message: string; field?: string }

import type {
  CanvasUpdatedMessage,
  PresenceUser,
  PreviewObject,
  UnbatchedServerMessage,
  UserViewport,
} from '../../protocol/messages.js'
import type { CanvasObject } from '../../protocol/objects.js'
import type { Role } from '../../protocol/roles.js'
import type { BackoffPolicy } from './backoff.js'
import type { PendingStore } from './pendingStore.js'
import type { RemoteCursor } from './presence.js'
import type { CloseReason, ConnectionStatus, SyncSocketConstructor } from './socketConnection.js'

/** What the sync engine shows (SyncSnapshot) and what it is made with (SyncEngineOptions). */

export interface SyncSnapshot {
  /** The confirmed state with our acked and pending ops applied: the optimistic view [SYNC1]. */
  objects: ReadonlyMap<string, CanvasObject>
  /** The last server seq applied. */
  seq: number
  status: ConnectionStatus
  /** No op is waiting for its ack [SYNC2]. */
  saved: boolean
  pendingCount: number
  /** Who I am here; `role` follows role-changed messages [SYNC33]. */
  me: { userId: string; username: string; color: string; role: Role } | undefined
  users: readonly PresenceUser[]
  /** Other users' cursors, never my own [SYNC27]. */
  cursors: ReadonlyMap<string, RemoteCursor>
  /** Other users' selected object ids by userId, never my own; a user with none is absent [SYNC32]. */
  selections: ReadonlyMap<string, readonly string[]>
  /** Other users' drags in progress by userId: where their objects are until they let go [ED-L1]. */
  previews: ReadonlyMap<string, readonly PreviewObject[]>
  /** What other users see of the canvas (world units), to follow one of them [PROTO19]. */
  viewports: ReadonlyMap<string, UserViewport>
  canUndo: boolean
  canRedo: boolean
  /**
   * Why the engine gave up: 4401 signed out, 4403 no access, 4404 no such canvas, 4410 the
   * canvas was deleted (CLOSE_CODES) [SYNC23].
   */
  closeReason: CloseReason | undefined
  /** The latest refusal or failure: an op the server refused, an edit refused locally, storage. */
  lastError: { code: string; message: string } | undefined
  /** While `offline`: when the next attempt starts (engine clock, Unix ms). */
  retryAt: number | undefined
  /** The canvas's name and time as the server last pushed them (a rename), if it did [SYNC34]. */
  canvas: CanvasUpdatedMessage['canvas'] | undefined
}

export interface SyncEngineOptions {
  /** `ws(s)://host/ws/<canvasId>` */
  url: string
  canvasId: string
  /** Omitted in the browser: the session cookie goes with the upgrade. */
  token?: string
  /**
   * The signed-in user, when the page knows it (GET /api/session): stored ops of another user
   * are then left alone from the start, and edits made before the first auth-success are
   * stamped with it [SYNC24]. Learnt from auth-success otherwise.
   */
  userId?: string
  /** IndexedDbPendingStore in the browser, MemoryPendingStore in tests. */
  pendingStore: PendingStore
  /** The browser's WebSocket by default; `ws` in Node. */
  WebSocketImpl?: SyncSocketConstructor
  now?: () => number
  random?: () => number
  /** Exponential backoff with jitter between attempts; default 500 ms doubling to 30 s [SYNC22]. */
  reconnect?: BackoffPolicy
  /** At most one cursor message per this many ms; default 50 [SYNC27]. */
  cursorIntervalMs?: number
  /** A ping after this long without a frame; dropped when it goes unanswered as long again; default 5 s [SYNC26]. */
  heartbeatMs?: number
  /** Sees every server message (batches unpacked) before the engine does: for logs and tests. */
  onServerMessage?: (message: UnbatchedServerMessage) => void
}

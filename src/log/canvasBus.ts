import type { LogEntry } from '../core/room/logEntry.js'
import type {
  CursorPosition,
  PresenceUser,
  UserPreview,
  UserSelection,
  UserViewport,
} from '../protocol/messages.js'
import type { Role } from '../protocol/roles.js'

/** A change to a canvas made beside its log (over HTTP) that open rooms apply live. */
export type CanvasNotice =
  | { kind: 'renamed'; canvas: { id: string; name: string; updatedAt: string } }
  /** A member's role changed; null: removed. */
  | { kind: 'access'; userId: string; role: Role | null }
  | { kind: 'deleted' }

/**
 * Traffic of a canvas that is never logged: who is there, where they point, what they select.
 * Losing one costs a stale cursor until the next; presence is re-sent as a heartbeat.
 */
export type Ephemeral =
  /** Every user the sending instance has in the canvas now: replaces that instance's earlier list. */
  | { kind: 'presence'; users: PresenceUser[] }
  /** Moves since the sender's last batch, each user at its latest position. */
  | { kind: 'cursors'; cursors: CursorPosition[] }
  /** Selections that changed since the sender's last batch; an empty list clears one. */
  | { kind: 'selections'; selections: UserSelection[] }
  /** Drags in progress that changed since the sender's last batch; an empty list ends one [PROTO18]. */
  | { kind: 'previews'; previews: UserPreview[] }
  /** Viewports that moved since the sender's last batch, each at its latest [PROTO19]. */
  | { kind: 'viewports'; viewports: UserViewport[] }

/** What a room (or any other subscriber) is told about one canvas. */
export interface CanvasListener {
  /**
   * The canvas's log has entries up to `headSeq`; `entries` are some of the new ones (all, some,
   * or none: a doorbell). The listener reads the log for what it has not seen [BUS1].
   */
  committed(entries: readonly LogEntry[], headSeq: number): void
  notice(notice: CanvasNotice): void
  /**
   * Ephemeral traffic from `source`, an instance id (`CanvasBus.instanceId` of the sender's bus).
   * A presence list from a source replaces its earlier one; a source that stops sending is told
   * as an empty list within the bus's presence expiry [BUS6].
   */
  ephemeral(message: Ephemeral, source: string): void
}

/** Told when a login session ends on any instance (logout, session cap), so its sockets close. */
export type SessionEndedListener = (sessionHash: string) => void

/**
 * The one way out of a commit: whoever appends to a canvas's log (a room here, a room on another
 * instance, an HTTP action) publishes what it committed, and every listener of that canvas learns
 * of it. Losing a message costs latency, never data: the log is the truth (design.md).
 * Every implementation passes test/contract/canvasBus.contract.ts.
 *
 * [BUS1] a listener subscribed to a canvas learns of every later commit to it, at least as the new
 *        head; entries may come late, twice or out of order, never with a wrong seq.
 * [BUS2] notices reach every listener of the canvas subscribed when they are published.
 * [BUS3] `from` is not told of what it published itself.
 * [BUS4] after unsubscribe (or close) a listener hears nothing more.
 * [BUS5] ephemeral messages reach the other listeners of the canvas (never `from`), with the
 *        sender's instance id; a listener that subscribes is sent every instance's presence.
 * [BUS6] an instance that stops (crash, partition) has its presence expire for the others: they
 *        are told an empty list from it within `presenceExpiryMs`.
 * [BUS7] after missing messages (a lost connection, an expired queue) a listener is told the
 *        log's head for its canvas, so it reads what it missed from the log.
 * [BUS8] a session ended on one instance is told to every other instance's session listeners.
 */
export interface CanvasBus {
  /** This process's id on the bus, the `source` others see. */
  readonly instanceId: string
  /** `headSeq`: the highest seq committed; `entries`: what to hand over with it (may be empty). */
  publishCommitted(
    canvasId: string,
    headSeq: number,
    entries: readonly LogEntry[],
    from?: CanvasListener,
  ): void
  publishNotice(canvasId: string, notice: CanvasNotice): void
  publishEphemeral(canvasId: string, message: Ephemeral, from?: CanvasListener): void
  /** A session ended here: tell the other instances (not this one's own listeners). */
  publishSessionEnded(sessionHash: string): void
  /** Sessions ended on other instances; returns the unsubscribe function. */
  onSessionEnded(listener: SessionEndedListener): () => void
  /** Returns the unsubscribe function. */
  subscribe(canvasId: string, listener: CanvasListener): () => void
  /**
   * Resolves once this instance receives what others publish to a canvas it subscribed to (a
   * Redis SUBSCRIBE takes a round trip), or after a bounded wait while the transport is down;
   * a room loads its state after it, so nothing published in between is missed [BUS1].
   */
  ready(canvasId: string): Promise<void>
  /** 'unavailable' while the bus cannot reach the other instances; warning/critical while it lags. */
  health(): BusHealth
  close(): Promise<void>
}

export type BusHealth = 'ok' | 'warning' | 'critical' | 'unavailable'

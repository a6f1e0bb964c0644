import type { ErrorCode } from '../../protocol/errorCodes.js'
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js'
import { newId, opMessage, type PendingOp } from './pendingOp.js'
import type { PendingStore } from './pendingStore.js'
import { messageOf } from './socketConnection.js'

/**
 * The way out for this user's edits (docs/spec/sync.md, SYNC7, SYNC20, SYNC21, SYNC24): each
 * pending op is written to the PendingStore before it is sent, ops go out in the order they were
 * made, each once per socket, and all again on the next socket. A "not now" refusal holds
 * everything back for a backoff, so order is kept. The list itself is the ClientState's
 * `pending` (the optimistic view is built from it); the outbox only reads it and, on a welcome,
 * filters it.
 */

/** Refusals that say "not now" rather than "never": the op is kept and sent again [SYNC7]. */
export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set<ErrorCode>([
  'rate_limited',
  'storage_full',
  'storage_unavailable',
  'bus_unavailable',
  'internal',
])

export interface OutboxOptions {
  canvasId: string
  store: PendingStore
  /** The ClientState's `pending`, in the order the ops were made. */
  pending: () => PendingOp[]
  /** Sends a frame on a joined socket; false when there is none. */
  send: (message: object) => boolean
  now: () => number
  random: () => number
  reconnect?: BackoffPolicy
  /** A store failure: the edit is sent anyway, the user is told. */
  onError: (code: 'storage_unavailable', message: string) => void
  /** Something worth a new snapshot happened later (a store write finished or failed). */
  onChange: () => void
}

export class Outbox {
  /** Ops whose store write has not finished: they are not sent yet [SYNC20]. */
  private readonly unstored = new Set<string>()
  /** Ops sent on the current socket. */
  private readonly sent = new Set<string>()
  private lastOrder = 0
  /** After a transient refusal nothing is sent until this timer fires, so ops keep their order. */
  private holdTimer: ReturnType<typeof setTimeout> | undefined
  private holdAttempt = 0
  private readonly backoff: BackoffPolicy

  constructor(private readonly options: OutboxOptions) {
    this.backoff = options.reconnect ?? DEFAULT_BACKOFF
  }

  /** A new op of this user, ordered after every op made or loaded before it. */
  create(op: PendingOp['op'], userId: string | undefined): PendingOp {
    const now = this.options.now()
    this.lastOrder = Math.max(this.lastOrder + 1, Math.floor(now * 1000))
    const pending: PendingOp = { opId: newId(), op, at: now, order: this.lastOrder }
    if (userId !== undefined) pending.userId = userId
    return pending
  }

  /** Writes `pending` (already in the pending list) to the store; it is sent once written [SYNC20]. */
  persist(pending: PendingOp): void {
    this.unstored.add(pending.opId)
    this.options.store
      .put(this.options.canvasId, pending)
      .catch((err: unknown) => {
        // Sent anyway: an edit that reaches the server is worth more than one kept only locally.
        this.options.onError('storage_unavailable', `could not store an edit: ${messageOf(err)}`)
      })
      .finally(() => {
        this.unstored.delete(pending.opId)
        this.pump()
        this.options.onChange()
      })
  }

  /**
   * The stored ops of this user (or of no one yet) not already known: they were made before
   * anything of this session and go first [SYNC24]. The caller puts them in the pending list.
   */
  adopt(stored: readonly PendingOp[], userId: string | undefined): PendingOp[] {
    const known = new Set(this.options.pending().map((p) => p.opId))
    const mine = stored.filter(
      (p) => !known.has(p.opId) && (userId === undefined || p.userId === undefined || p.userId === userId),
    )
    for (const p of mine) this.lastOrder = Math.max(this.lastOrder, p.order)
    return mine
  }

  /**
   * The welcome named the user: ops another user queued in this browser leave the list (they
   * stay in the store for them), and ops made before we knew who we are become this user's.
   */
  claim(pending: PendingOp[], userId: string): PendingOp[] {
    const kept = pending.filter((p) => p.userId === undefined || p.userId === userId)
    for (const p of kept) {
      if (p.userId !== undefined) continue
      p.userId = userId
      if (this.unstored.has(p.opId)) continue
      this.options.store.put(this.options.canvasId, p).catch((err: unknown) => {
        this.options.onError('storage_unavailable', `could not store an edit: ${messageOf(err)}`)
        this.options.onChange()
      })
    }
    return kept
  }

  /** Sends, in order, every stored op not yet sent on this socket [SYNC20, SYNC21]. */
  pump(): void {
    if (this.holdTimer !== undefined) return
    for (const p of this.options.pending()) {
      if (this.unstored.has(p.opId)) break
      if (this.sent.has(p.opId)) continue
      if (!this.options.send(opMessage(p))) return
      this.sent.add(p.opId)
    }
  }

  /** Whether `opId` went out on the current socket (so its ack or refusal may still come). */
  wasSent(opId: string): boolean {
    return this.sent.has(opId)
  }

  /** The op was acked or refused for good: out of the store. */
  forget(opId: string): void {
    this.unstored.delete(opId)
    this.sent.delete(opId)
    if (this.options.pending().length === 0) this.holdAttempt = 0
    this.options.store.remove(this.options.canvasId, opId).catch((err: unknown) => {
      this.options.onError('storage_unavailable', `could not forget an edit: ${messageOf(err)}`)
      this.options.onChange()
    })
  }

  /** "Not now" [SYNC7]: the op goes again, after a backoff in which nothing is sent. */
  retryLater(opId: string): void {
    this.sent.delete(opId)
    if (this.holdTimer !== undefined) return
    const delay = backoffDelay(this.holdAttempt++, this.backoff, this.options.random)
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined
      this.pump()
    }, delay)
  }

  /** A new socket will need every op again [SYNC21]. */
  socketLost(): void {
    this.sent.clear()
  }

  stop(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer)
    this.holdTimer = undefined
  }
}

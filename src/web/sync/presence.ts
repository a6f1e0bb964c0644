import { presenceColor } from '../../core/presenceColor.js'
import type {
  CursorsMessage,
  PresenceUser,
  PreviewObject,
  PreviewsMessage,
  SelectionsMessage,
  UserConnectedMessage,
  UserDisconnectedMessage,
} from '../../protocol/messages.js'
import { OBJECT_LIMITS } from '../../protocol/objects.js'

/**
 * Who else is here and what they point at (docs/spec/sync.md, SYNC27, SYNC28, SYNC32): the
 * users, their cursors and their selections from the server's presence messages, never our own
 * user's; and our own cursor and selection going out, throttled, always the latest. Presence
 * lives with a socket: a lost one empties it, and the next sends our selection again.
 */

export interface RemoteCursor {
  userId: string
  username: string
  color: string
  x: number
  y: number
  /** Unix ms (engine clock) of the last move: fade cursors that stopped. */
  at: number
}

export type PresenceMessage =
  CursorsMessage | SelectionsMessage | PreviewsMessage | UserConnectedMessage | UserDisconnectedMessage

export interface PresenceOptions {
  /** Sends a frame on a joined socket; false when there is none. */
  send: (message: object) => boolean
  now: () => number
  /** At most one cursor (and one selection) message per this many ms [SYNC27]. */
  cursorIntervalMs: number
}

// The protocol's bound (MESSAGE_LIMITS.selectionIds, PROTO17), repeated here so the browser
// bundle does not pull in the TypeBox schemas.
const MAX_SELECTION_IDS = 500
/** MESSAGE_LIMITS.previewObjects (PROTO18): a bigger drag previews its first objects. */
const MAX_PREVIEW_OBJECTS = 200

export class Presence {
  private myUserId: string | undefined
  private joined = false
  private currentUsers: readonly PresenceUser[] = []
  private readonly cursorMap = new Map<string, RemoteCursor>()
  private readonly selectionMap = new Map<string, readonly string[]>()
  /** Copies handed out, kept while nothing changes so selectors can compare identity [SYNC29]. */
  private cursorsCopy: ReadonlyMap<string, RemoteCursor> | undefined
  private selectionsCopy: ReadonlyMap<string, readonly string[]> | undefined
  /** userId → that user's drag in progress (non-empty) [ED-L1]. */
  private readonly previewMap = new Map<string, readonly PreviewObject[]>()
  private previewsCopy: ReadonlyMap<string, readonly PreviewObject[]> | undefined

  private cursorWanted: { x: number; y: number } | undefined
  private cursorTimer: ReturnType<typeof setTimeout> | undefined
  private lastCursorSentAt = -Infinity
  /** My selection as the UI last gave it, and as this socket last sent it. */
  private selectionWanted: readonly string[] = []
  private selectionSent: readonly string[] = []
  private selectionTimer: ReturnType<typeof setTimeout> | undefined
  private lastSelectionSentAt = -Infinity
  /** My drag in progress as the UI last gave it (undefined: nothing to send) and whether one is out. */
  private previewWanted: readonly PreviewObject[] | undefined
  private previewOut = false
  private previewTimer: ReturnType<typeof setTimeout> | undefined
  private lastPreviewSentAt = -Infinity

  constructor(private readonly options: PresenceOptions) {}

  get users(): readonly PresenceUser[] {
    return this.currentUsers
  }

  /** Other users' cursors, never my own [SYNC27]. */
  get cursors(): ReadonlyMap<string, RemoteCursor> {
    return (this.cursorsCopy ??= new Map(this.cursorMap))
  }

  /** Other users' selected ids by userId, never my own; a user with none is absent [SYNC32]. */
  get selections(): ReadonlyMap<string, readonly string[]> {
    return (this.selectionsCopy ??= new Map(this.selectionMap))
  }

  /** Other users' drags in progress by userId: where their objects are until they let go [ED-L1]. */
  get previews(): ReadonlyMap<string, readonly PreviewObject[]> {
    return (this.previewsCopy ??= new Map(this.previewMap))
  }

  /** The welcome: who I am, who is here; my cursor and selection go out [SYNC28]. */
  join(myUserId: string, users: readonly PresenceUser[]): void {
    this.myUserId = myUserId
    this.joined = true
    this.currentUsers = users
    this.sendCursorSoon()
    this.sendSelectionSoon()
  }

  /** The socket is gone: nobody is here until the next welcome. */
  leave(): void {
    this.joined = false
    this.currentUsers = []
    this.cursorMap.clear()
    this.cursorsCopy = undefined
    // The server forgets a selection with the user's last socket: send it again after a reconnect.
    this.selectionSent = []
    this.selectionMap.clear()
    this.selectionsCopy = undefined
    // The server ends a lost socket's preview itself; the others' previews come again as they move.
    this.previewWanted = undefined
    this.previewOut = false
    this.previewMap.clear()
    this.previewsCopy = undefined
  }

  handle(message: PresenceMessage): void {
    switch (message.type) {
      case 'cursors':
        for (const c of message.cursors) {
          if (c.userId === this.myUserId) continue
          const user = this.currentUsers.find((u) => u.userId === c.userId)
          this.cursorMap.set(c.userId, {
            userId: c.userId,
            username: user?.username ?? '',
            color: user?.color ?? presenceColor(c.userId),
            x: c.x,
            y: c.y,
            at: this.options.now(),
          })
          this.cursorsCopy = undefined
        }
        return
      case 'selections':
        for (const { userId, ids } of message.selections) {
          if (userId === this.myUserId) continue
          if (
            ids.length === 0 ? !this.selectionMap.delete(userId) : sameIds(ids, this.selectionMap.get(userId))
          )
            continue
          if (ids.length > 0) this.selectionMap.set(userId, ids)
          this.selectionsCopy = undefined
        }
        return
      case 'previews':
        for (const { userId, objects } of message.previews) {
          if (userId === this.myUserId) continue
          if (objects.length === 0 && !this.previewMap.delete(userId)) continue
          if (objects.length > 0) this.previewMap.set(userId, objects)
          this.previewsCopy = undefined
        }
        return
      case 'user-connected': {
        const { userId, username, color } = message
        this.currentUsers = [
          ...this.currentUsers.filter((u) => u.userId !== userId),
          { userId, username, color },
        ]
        // The server sends cursors at once but may hold presence for its next fan-out tick, so a
        // newcomer's cursor can come first, nameless: name it now, not at its next move.
        const cursor = this.cursorMap.get(userId)
        if (cursor) {
          this.cursorMap.set(userId, { ...cursor, username, color })
          this.cursorsCopy = undefined
        }
        return
      }
      case 'user-disconnected':
        this.currentUsers = this.currentUsers.filter((u) => u.userId !== message.userId)
        if (this.cursorMap.delete(message.userId)) this.cursorsCopy = undefined
        if (this.selectionMap.delete(message.userId)) this.selectionsCopy = undefined
        // A drag that never ended (the tab closed mid-drag) disappears with its user [ED-L1].
        if (this.previewMap.delete(message.userId)) this.previewsCopy = undefined
        return
      default:
        message satisfies never
    }
  }

  /**
   * `userId` committed a change to `id`: their preview of it is over, whatever comes next (the
   * state now has the result; a preview's scale on top of the new size would show it twice).
   */
  committed(userId: string, id: string): void {
    const objects = this.previewMap.get(userId)
    if (objects === undefined || !objects.some((o) => o.id === id)) return
    const rest = objects.filter((o) => o.id !== id)
    if (rest.length === 0) this.previewMap.delete(userId)
    else this.previewMap.set(userId, rest)
    this.previewsCopy = undefined
  }

  /** Throttled to one message per cursorIntervalMs, always the latest position [SYNC27]. */
  moveCursor(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return
    const bound = OBJECT_LIMITS.coordinate
    this.cursorWanted = { x: Math.min(bound, Math.max(-bound, x)), y: Math.min(bound, Math.max(-bound, y)) }
    this.sendCursorSoon()
  }

  /**
   * My selected object ids, for the others to see: throttled like moveCursor, sent only when they
   * differ from what this socket last sent, and again after a reconnect [SYNC32].
   */
  select(ids: readonly string[]): void {
    const next = ids.slice(0, MAX_SELECTION_IDS)
    if (sameIds(next, this.selectionWanted)) return
    this.selectionWanted = next
    this.sendSelectionSoon()
  }

  /**
   * Where my dragged objects are now, for the others to see while I drag: throttled like
   * moveCursor, always the latest; an empty list ends it (sent only if one is out) [ED-L1].
   */
  preview(objects: readonly PreviewObject[]): void {
    if (objects.length === 0 && !this.previewOut && this.previewWanted === undefined) return
    this.previewWanted = objects.slice(0, MAX_PREVIEW_OBJECTS)
    this.sendPreviewSoon()
  }

  /** Drops a move not yet sent: the drag is over, and its commit must be the last word [ED-L1]. */
  dropPendingPreview(): void {
    if (this.previewTimer !== undefined) clearTimeout(this.previewTimer)
    this.previewTimer = undefined
    this.previewWanted = undefined
  }

  stop(): void {
    if (this.previewTimer !== undefined) clearTimeout(this.previewTimer)
    this.previewTimer = undefined
    if (this.cursorTimer !== undefined) clearTimeout(this.cursorTimer)
    if (this.selectionTimer !== undefined) clearTimeout(this.selectionTimer)
    this.cursorTimer = undefined
    this.selectionTimer = undefined
  }

  private sendCursorSoon(): void {
    if (!this.joined || this.cursorWanted === undefined || this.cursorTimer !== undefined) return
    const waitMs = this.lastCursorSentAt + this.options.cursorIntervalMs - this.options.now()
    if (waitMs <= 0) {
      this.sendCursor()
      return
    }
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined
      this.sendCursor()
    }, waitMs)
  }

  private sendCursor(): void {
    const cursor = this.cursorWanted
    if (!this.joined || cursor === undefined) return
    if (!this.options.send({ type: 'cursor', x: cursor.x, y: cursor.y })) return
    this.cursorWanted = undefined
    this.lastCursorSentAt = this.options.now()
  }

  private sendPreviewSoon(): void {
    if (!this.joined || this.previewWanted === undefined || this.previewTimer !== undefined) return
    const waitMs = this.lastPreviewSentAt + this.options.cursorIntervalMs - this.options.now()
    if (waitMs <= 0) {
      this.sendPreview()
      return
    }
    this.previewTimer = setTimeout(() => {
      this.previewTimer = undefined
      this.sendPreview()
    }, waitMs)
  }

  private sendPreview(): void {
    const objects = this.previewWanted
    if (!this.joined || objects === undefined) return
    if (objects.length === 0 && !this.previewOut) {
      this.previewWanted = undefined
      return
    }
    if (!this.options.send({ type: 'preview', objects })) return
    this.previewWanted = undefined
    this.previewOut = objects.length > 0
    this.lastPreviewSentAt = this.options.now()
  }

  private sendSelectionSoon(): void {
    if (!this.joined || this.selectionTimer !== undefined) return
    const waitMs = this.lastSelectionSentAt + this.options.cursorIntervalMs - this.options.now()
    if (waitMs <= 0) {
      this.sendSelection()
      return
    }
    this.selectionTimer = setTimeout(() => {
      this.selectionTimer = undefined
      this.sendSelection()
    }, waitMs)
  }

  private sendSelection(): void {
    const ids = this.selectionWanted
    if (!this.joined || sameIds(ids, this.selectionSent)) return
    if (!this.options.send({ type: 'selection', ids })) return
    this.selectionSent = ids
    this.lastSelectionSentAt = this.options.now()
  }
}

function sameIds(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((id, i) => id === b[i])
}

import type { Static } from 'typebox'
import type {
  AuthMessageSchema,
  CursorMessageSchema,
  ObjectCreateMessageSchema,
  ObjectDeleteMessageSchema,
  ObjectUpdateMessageSchema,
  PingMessageSchema,
  PreviewMessageSchema,
  PreviewObjectSchema,
  SelectionMessageSchema,
  ViewportMessageSchema,
} from './clientMessageSchemas.js'
import type { ErrorCode } from './errorCodes.js'
import type { CanvasObject, ObjectChanges } from './objects.js'
import type { Role } from './roles.js'

export { parseClientMessage, type ParseResult } from './parseClientMessage.js'
export { CLIENT_MESSAGE_TYPES, type ClientMessageType } from './clientMessageSchemas.js'

/**
 * The WebSocket protocol (contract "WebSocket", docs/spec/protocol.md): one JSON message per
 * text frame. Client messages are checked by parseClientMessage against the TypeBox schemas in
 * clientMessageSchemas.ts; server messages are plain types because the server builds them.
 */

// ---- client → server -------------------------------------------------------------------------

declare const parsed: unique symbol
/**
 * Marks a value that came out of parseClientMessage: only checked frames can reach decideBatch
 * and from there the log (style §6). The brand exists only in the type system.
 */
export type Parsed<T> = T & { readonly [parsed]: true }

export type AuthMessage = Parsed<Static<typeof AuthMessageSchema>>
export type CursorMessage = Parsed<Static<typeof CursorMessageSchema>>
export type ObjectCreateMessage = Parsed<Static<typeof ObjectCreateMessageSchema>>
export type ObjectUpdateMessage = Parsed<Static<typeof ObjectUpdateMessageSchema>>
export type ObjectDeleteMessage = Parsed<Static<typeof ObjectDeleteMessageSchema>>
export type PingMessage = Parsed<Static<typeof PingMessageSchema>>
export type SelectionMessage = Parsed<Static<typeof SelectionMessageSchema>>
export type PreviewMessage = Parsed<Static<typeof PreviewMessageSchema>>
export type ViewportMessage = Parsed<Static<typeof ViewportMessageSchema>>
/** One object's place in a drag or transform in progress [PROTO18]. */
export type PreviewObject = Static<typeof PreviewObjectSchema>

export type ClientOpMessage = ObjectCreateMessage | ObjectUpdateMessage | ObjectDeleteMessage
export type ClientMessage =
  | AuthMessage
  | CursorMessage
  | SelectionMessage
  | PreviewMessage
  | ViewportMessage
  | ClientOpMessage
  | PingMessage

export function isClientOpMessage(message: ClientMessage): message is ClientOpMessage {
  return (
    message.type === 'object-create' || message.type === 'object-update' || message.type === 'object-delete'
  )
}

// ---- server → client -------------------------------------------------------------------------

export interface PresenceUser {
  userId: string
  username: string
  color: string
}

/**
 * Without `resumed`, `objects` is the whole canvas at `seq`: the client replaces its state.
 * With `resumed: true` the server has just sent every entry after the client's `lastSeq` as
 * object-* messages, and `objects` is empty: the client keeps its state (docs/spec/protocol.md, "Resume").
 */
export interface AuthSuccessMessage extends PresenceUser {
  type: 'auth-success'
  role: Role
  seq: number
  objects: CanvasObject[]
  users: PresenceUser[]
  resumed?: true
}

/** To the sender only, once the op is durably stored; a resent opId is acked again with the first seq. */
export interface AckMessage {
  type: 'ack'
  opId: string
  seq: number
}

export interface ObjectCreatedMessage {
  type: 'object-created'
  object: CanvasObject
  userId: string
  seq: number
}

export interface ObjectUpdatedMessage {
  type: 'object-updated'
  id: string
  changes: ObjectChanges
  userId: string
  seq: number
}

export interface ObjectDeletedMessage {
  type: 'object-deleted'
  id: string
  userId: string
  seq: number
}

export interface CursorPosition {
  userId: string
  x: number
  y: number
}

export interface CursorsMessage {
  type: 'cursors'
  cursors: CursorPosition[]
}

/** One user's selected object ids; an empty list clears it. */
export interface UserSelection {
  userId: string
  ids: string[]
}

/** The selections that changed since the last one, coalesced on the cursor tick. */
export interface SelectionsMessage {
  type: 'selections'
  selections: UserSelection[]
}

/** One user's drag or transform in progress; an empty list ends it (they let go, or left). */
export interface UserPreview {
  userId: string
  objects: PreviewObject[]
}

/** The previews that changed since the last tick, coalesced like cursors [PROTO18]. */
export interface PreviewsMessage {
  type: 'previews'
  previews: UserPreview[]
}

/** What one user sees of the canvas (world units) [PROTO19]. */
export interface UserViewport {
  userId: string
  x: number
  y: number
  width: number
  height: number
}

/** The viewports that changed since the last tick, coalesced like cursors [PROTO19]. */
export interface ViewportsMessage {
  type: 'viewports'
  viewports: UserViewport[]
}

export interface UserConnectedMessage extends PresenceUser {
  type: 'user-connected'
}

export interface UserDisconnectedMessage {
  type: 'user-disconnected'
  userId: string
  username: string
}

export interface ErrorMessage {
  type: 'error'
  code: ErrorCode
  message: string
  /** The opId of the frame that failed, when it had one. */
  opId?: string
  /** For invalid_input: the offending field, e.g. `object.x`, `changes.type`. */
  field?: string
}

export interface PongMessage {
  type: 'pong'
  t: number
}

/** The canvas's metadata changed (a rename over HTTP): to every member, live. */
export interface CanvasUpdatedMessage {
  type: 'canvas-updated'
  canvas: { id: string; name: string; updatedAt: string }
}

/**
 * This socket's role changed (the owner made an editor a viewer, or back): it applies at once,
 * to this socket's next operation. A removed member gets an error frame and close 4403 instead,
 * a deleted canvas close 4410.
 */
export interface RoleChangedMessage {
  type: 'role-changed'
  role: Role
}

/** What applyEntry emits: the object-* messages, identical on every instance. */
export type RoomEvent = ObjectCreatedMessage | ObjectUpdatedMessage | ObjectDeletedMessage

export type UnbatchedServerMessage =
  | AuthSuccessMessage
  | AckMessage
  | RoomEvent
  | CursorsMessage
  | SelectionsMessage
  | PreviewsMessage
  | ViewportsMessage
  | UserConnectedMessage
  | UserDisconnectedMessage
  | ErrorMessage
  | PongMessage
  | CanvasUpdatedMessage
  | RoleChangedMessage

/** Several messages in one frame, processed in order; batches do not nest. */
export interface BatchMessage {
  type: 'batch'
  messages: UnbatchedServerMessage[]
}

export type ServerMessage = UnbatchedServerMessage | BatchMessage

export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message)
}

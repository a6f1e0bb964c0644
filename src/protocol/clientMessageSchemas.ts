import { Type } from 'typebox'
import { CoordinateSchema, IdSchema, NewObjectSchema, ObjectChangesSchema } from './objectSchemas.js'

/** TypeBox schemas of every client → server message (docs/spec/protocol.md); all closed [PROTO6]. */

/** Bounds that are not object properties. */
export const MESSAGE_LIMITS = {
  tokenLength: 8_192,
  /** Ids in one `selection` message [PROTO17]. */
  selectionIds: 500,
  /** Objects in one `preview` message: what one drag or transform moves at once [PROTO18]. */
  previewObjects: 200,
  /** Bound on a preview's scale factors: a transform in progress, never stored [PROTO18]. */
  previewScale: 10_000,
  /** Bound on a viewport's width and height (world units): the view at the smallest zoom [PROTO19]. */
  viewportSize: 20_000_000,
} as const

export const AuthMessageSchema = Type.Object(
  {
    type: Type.Literal('auth'),
    token: Type.Optional(Type.String({ maxLength: MESSAGE_LIMITS.tokenLength })),
    lastSeq: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
)

export const CursorMessageSchema = Type.Object(
  { type: Type.Literal('cursor'), x: CoordinateSchema, y: CoordinateSchema },
  { additionalProperties: false },
)

/** The sender's selected object ids; presence, never logged [PROTO17]. */
export const SelectionMessageSchema = Type.Object(
  { type: Type.Literal('selection'), ids: Type.Array(IdSchema, { maxItems: MESSAGE_LIMITS.selectionIds }) },
  { additionalProperties: false },
)

/**
 * Where an object is while someone drags, resizes or rotates it: presence, never logged, relayed
 * coalesced on the cursor tick. `scaleX`/`scaleY` are the transform in progress (the commit bakes
 * them into sizes). An empty list ends the sender's preview [PROTO18].
 */
export const PreviewObjectSchema = Type.Object(
  {
    id: IdSchema,
    x: CoordinateSchema,
    y: CoordinateSchema,
    rotation: Type.Optional(CoordinateSchema),
    scaleX: Type.Optional(
      Type.Number({ minimum: -MESSAGE_LIMITS.previewScale, maximum: MESSAGE_LIMITS.previewScale }),
    ),
    scaleY: Type.Optional(
      Type.Number({ minimum: -MESSAGE_LIMITS.previewScale, maximum: MESSAGE_LIMITS.previewScale }),
    ),
  },
  { additionalProperties: false },
)

export const PreviewMessageSchema = Type.Object(
  {
    type: Type.Literal('preview'),
    objects: Type.Array(PreviewObjectSchema, { maxItems: MESSAGE_LIMITS.previewObjects }),
  },
  { additionalProperties: false },
)

/**
 * The part of the canvas the sender sees (world units, top-left and size), so the others can
 * follow it: presence, never logged, coalesced like cursors [PROTO19].
 */
export const ViewportMessageSchema = Type.Object(
  {
    type: Type.Literal('viewport'),
    x: CoordinateSchema,
    y: CoordinateSchema,
    width: Type.Number({ minimum: 1, maximum: MESSAGE_LIMITS.viewportSize }),
    height: Type.Number({ minimum: 1, maximum: MESSAGE_LIMITS.viewportSize }),
  },
  { additionalProperties: false },
)

export const ObjectCreateMessageSchema = Type.Object(
  { type: Type.Literal('object-create'), opId: IdSchema, object: NewObjectSchema },
  { additionalProperties: false },
)

export const ObjectUpdateMessageSchema = Type.Object(
  // minProperties is also enforced by parseClientMessage with a clearer message [PROTO16].
  {
    type: Type.Literal('object-update'),
    opId: IdSchema,
    id: IdSchema,
    changes: ObjectChangesSchema,
  },
  { additionalProperties: false },
)

export const ObjectDeleteMessageSchema = Type.Object(
  { type: Type.Literal('object-delete'), opId: IdSchema, id: IdSchema },
  { additionalProperties: false },
)

export const PingMessageSchema = Type.Object(
  { type: Type.Literal('ping'), t: Type.Number() },
  { additionalProperties: false },
)

export const CLIENT_MESSAGE_SCHEMAS = {
  auth: AuthMessageSchema,
  cursor: CursorMessageSchema,
  selection: SelectionMessageSchema,
  preview: PreviewMessageSchema,
  viewport: ViewportMessageSchema,
  'object-create': ObjectCreateMessageSchema,
  'object-update': ObjectUpdateMessageSchema,
  'object-delete': ObjectDeleteMessageSchema,
  ping: PingMessageSchema,
} as const

export type ClientMessageType = keyof typeof CLIENT_MESSAGE_SCHEMAS
export const CLIENT_MESSAGE_TYPES = Object.keys(CLIENT_MESSAGE_SCHEMAS) as readonly ClientMessageType[]

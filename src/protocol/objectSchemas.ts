import { Type, type Static } from 'typebox'
import { IMAGE_ID_PATTERN } from './images.js'
import { OBJECT_LIMITS, OBJECT_TYPES, type NewObject, type ObjectChanges } from './objects.js'

/**
 * TypeBox schemas for canvas objects on the wire (docs/spec/protocol.md, PROTO10–PROTO16).
 * Every schema is closed (`additionalProperties: false`): unknown properties are refused, never stripped.
 */

/** Ranges of the bounded numeric properties; everything else geometric is within ±OBJECT_LIMITS.coordinate. */
export const PROP_RANGES = {
  strokeWidth: { min: 0, max: 1_000 },
  fontSize: { min: 1, max: 1_000 },
  opacity: { min: 0, max: 1 },
  dash: { min: 0, max: 1_000 },
  cornerRadius: { min: 0, max: 1e6 },
} as const

/** Object ids and opIds [PROTO11]. */
export const ID_PATTERN = `^[A-Za-z0-9_-]{1,${OBJECT_LIMITS.idLength}}$`

// Numbers inside a color function: 12, -1.5, .5, 1e2, 50%, with an optional hue unit.
const NUM = '[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?(?:%|deg|grad|rad|turn)?'
const COLOR_FN = `(?:rgba?|hsla?)\\(\\s*${NUM}(?:\\s*,\\s*${NUM}|\\s+${NUM}){2}(?:\\s*[,/]\\s*${NUM})?\\s*\\)`
const HEX = '#(?:[0-9A-Fa-f]{3,4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})'
/**
 * CSS colors [PROTO13]: #rgb, #rgba, #rrggbb, #rrggbbaa; rgb()/rgba()/hsl()/hsla() with comma or
 * space syntax and an optional alpha; a lower-case keyword (named colors, `transparent`,
 * `currentcolor`). Length is capped before the pattern runs, so the pattern never sees long input.
 */
export const COLOR_PATTERN = `^(?:${HEX}|${COLOR_FN}|[a-z]{1,32})$`

export const IdSchema = Type.String({ pattern: ID_PATTERN })
export const CoordinateSchema = Type.Number({
  minimum: -OBJECT_LIMITS.coordinate,
  maximum: OBJECT_LIMITS.coordinate,
})
const Id = IdSchema
const Coordinate = CoordinateSchema
const Color = Type.String({ maxLength: OBJECT_LIMITS.colorLength, pattern: COLOR_PATTERN })
const ranged = (r: { min: number; max: number }) => Type.Number({ minimum: r.min, maximum: r.max })

/** Every property a client may set, each optional; `type` only on create [PROTO12]. */
const settable = {
  x: Type.Optional(Coordinate),
  y: Type.Optional(Coordinate),
  width: Type.Optional(Coordinate),
  height: Type.Optional(Coordinate),
  rotation: Type.Optional(Coordinate),
  fill: Type.Optional(Color),
  stroke: Type.Optional(Color),
  strokeWidth: Type.Optional(ranged(PROP_RANGES.strokeWidth)),
  opacity: Type.Optional(ranged(PROP_RANGES.opacity)),
  text: Type.Optional(Type.String({ maxLength: OBJECT_LIMITS.textLength })),
  fontSize: Type.Optional(ranged(PROP_RANGES.fontSize)),
  fontFamily: Type.Optional(Type.String({ maxLength: OBJECT_LIMITS.fontFamilyLength })),
  align: Type.Optional(Type.Enum(['left', 'center', 'right'])),
  // Even length is checked after the schema (JSON Schema cannot say it) [PROTO15].
  points: Type.Optional(Type.Array(Coordinate, { maxItems: OBJECT_LIMITS.points })),
  zIndex: Type.Optional(Coordinate),
  parentId: Type.Optional(Type.Union([Id, Type.Null()])),
  name: Type.Optional(Type.String({ maxLength: OBJECT_LIMITS.nameLength })),
  // Connectors and shape details [ED-C1]; optional, so objects of older clients stay valid.
  startId: Type.Optional(Type.Union([Id, Type.Null()])),
  endId: Type.Optional(Type.Union([Id, Type.Null()])),
  dash: Type.Optional(Type.Array(ranged(PROP_RANGES.dash), { maxItems: OBJECT_LIMITS.dash })),
  cornerRadius: Type.Optional(ranged(PROP_RANGES.cornerRadius)),
  arrowStart: Type.Optional(Type.Boolean()),
  arrowEnd: Type.Optional(Type.Boolean()),
  // An image's picture: a hash the clients turn into this canvas's own image URL [PROTO18].
  imageId: Type.Optional(Type.String({ pattern: IMAGE_ID_PATTERN })),
  // Lock [ED-S3]: honoured by every editor, optional like the other later fields.
  locked: Type.Optional(Type.Boolean()),
}

export const NewObjectSchema = Type.Object(
  { id: Id, type: Type.Enum([...OBJECT_TYPES]), ...settable },
  { additionalProperties: false },
)

export const ObjectChangesSchema = Type.Object(settable, { additionalProperties: false })

/** Properties the server owns or that identify an object: never accepted from a client [PROTO16]. */
export const SERVER_OWNED_KEYS = ['createdBy', 'updatedAt', 'version', 'canvasId', 'seq'] as const
/** Keys `object-update.changes` may never carry [PROTO16]. */
export const IMMUTABLE_KEYS = ['type', 'id', ...SERVER_OWNED_KEYS] as const

// The schemas must describe exactly the hand-written types in objects.ts: fail the build otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const schemasMatchTypes: [
  Same<Static<typeof NewObjectSchema>, NewObject>,
  Same<Static<typeof ObjectChangesSchema>, ObjectChanges>,
] = [true, true]
void schemasMatchTypes

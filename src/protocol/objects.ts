/**
 * Canvas objects as they travel on the wire and live in room state (contract "Objects").
 * Clients send `ObjectProps`; the server adds `createdBy`, `updatedAt` and `version`.
 */
export const OBJECT_TYPES = [
  'rect',
  'ellipse',
  'line',
  'arrow',
  'text',
  'path',
  'frame',
  'group',
  'image',
] as const
export type ObjectType = (typeof OBJECT_TYPES)[number]

/** Properties a client may set. Every one but `type` may change in an update. */
export interface ObjectProps {
  type: ObjectType
  x: number
  y: number
  width: number
  height: number
  rotation: number
  fill: string
  stroke: string
  strokeWidth: number
  opacity: number
  text: string
  fontSize: number
  fontFamily: string
  align: 'left' | 'center' | 'right'
  points: number[]
  zIndex: number
  parentId: string | null
  name: string
  /**
   * A line or arrow bound to shapes at its ends: it follows them when they move [ED-C1]. Ids of
   * objects on the same canvas, or null; a shape deleted later leaves the end where it was.
   */
  startId: string | null
  endId: string | null
  /** Dashed stroke: dash and gap lengths in stroke widths, e.g. [4, 3]; empty is solid [ED-C1]. */
  dash: number[]
  /** Rounded corners of a rectangle (world units) [ED-C1]. */
  cornerRadius: number
  /** Arrowheads: at the start and at the end of an arrow [ED-C1]. */
  arrowStart: boolean
  arrowEnd: boolean
  /**
   * The picture of an `image` object: the SHA-256 of what the server stored for this canvas
   * (src/protocol/images.ts), never a URL [PROTO18].
   */
  imageId: string
  /**
   * Locked in every editor: it cannot be picked, moved, resized or deleted there until someone
   * unlocks it; it stays drawn [ED-S3]. The server stores it and does not enforce it (an API
   * client may still change a locked object, as it may unlock it).
   */
  locked: boolean
}

/** Properties that may appear in `object-update.changes`. */
export type ObjectChanges = Partial<Omit<ObjectProps, 'type'>>

/** What a create carries: an id and a type, the rest optional (defaults are the client's business). */
export type NewObject = { id: string; type: ObjectType } & ObjectChanges

export interface CanvasObject extends NewObject {
  createdBy: string
  /** ISO-8601, from the log entry that last changed the object. */
  updatedAt: string
  /** How many log entries have changed the object: 1 after create. */
  version: number
}

export const OBJECT_LIMITS = {
  idLength: 64,
  textLength: 10_000,
  colorLength: 64,
  nameLength: 200,
  fontFamilyLength: 100,
  /** Numbers in `dash` (dash and gap lengths). */
  dash: 8,
  /** Numbers in `points` (x, y pairs). */
  points: 20_000,
  /** Absolute bound on coordinates and sizes: finite and sane. */
  coordinate: 1e7,
  objectsPerCanvas: 10_000,
  /**
   * What all of a canvas's objects may weigh, encoded as JSON: what a joining client is sent and
   * a snapshot stores. Past it, only changes that shrink the canvas are accepted [I1, ROOM26].
   */
  canvasBytes: 16 * 1024 * 1024,
} as const

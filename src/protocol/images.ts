/**
 * How an image object names its picture (docs/editor.md "Images"). An `image` object carries
 * `imageId`, the SHA-256 of bytes the server stored for that canvas, never a URL: every client
 * builds the address from the canvas it has open, so a hostile client cannot make others'
 * browsers fetch another site or another canvas's images [PROTO18].
 */

/** Lower-case hex SHA-256: the only form an image id takes (on the wire, in URLs, in the store). */
export const IMAGE_ID_PATTERN = '^[0-9a-f]{64}$'

const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN)

export function isImageId(value: string): boolean {
  return IMAGE_ID.test(value)
}

/** Where members of `canvasId` upload images (POST) and fetch one (GET …/:imageId). */
export function imagesPath(canvasId: string): string {
  return `/api/canvases/${encodeURIComponent(canvasId)}/images`
}

export function imageUrl(canvasId: string, imageId: string): string {
  return `${imagesPath(canvasId)}/${imageId}`
}

/** Upload limits the server enforces unless configured otherwise (IMAGE_MAX_BYTES, IMAGE_MAX_SIDE). */
export const DEFAULT_IMAGE_LIMITS = {
  /** Bytes of one upload: 10 MiB. */
  maxBytes: 10 * 1024 * 1024,
  /** Pixels on either side, as decoded (or, for SVG, as rendered). */
  maxSide: 8_192,
  /** Width × height: a picture under `maxSide` both ways can still be 67 megapixels. */
  maxPixels: 40_000_000,
} as const

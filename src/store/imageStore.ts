/**
 * Images placed on canvases, stored by the server [IMG1..IMG4] (docs/editor.md "Images").
 *
 * An image belongs to one canvas and is addressed there by the SHA-256 of its stored bytes: the
 * same bytes uploaded twice to one canvas are one row, and whoever may see the canvas may fetch
 * its images, nobody else. Keying by (canvas, hash) instead of by hash alone costs a copy when
 * the same picture goes onto two canvases, but keeps access to exactly "member of this canvas":
 * knowing a hash never opens an image on a canvas it was not uploaded to.
 *
 * Guarantees every implementation keeps (test/contract/imageStore.contract.ts):
 * [IMG1] `put` is idempotent: the same (canvas, hash) again keeps the first row and answers it.
 * [IMG2] `get` returns the exact bytes stored, with their type and size, for that canvas only.
 * [IMG3] deleting a canvas deletes its images.
 * [IMG4] the hash is the SHA-256 of the bytes: a row whose hash does not match them is refused.
 */

/** The types the server stores: whatever was uploaded, SVG is kept only as its PNG rendering. */
export const STORED_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const
export type StoredImageType = (typeof STORED_IMAGE_TYPES)[number]

export interface StoredImageMeta {
  canvasId: string
  /** SHA-256 of `bytes`, lower-case hex: the image's id within its canvas. */
  hash: string
  type: StoredImageType
  width: number
  height: number
  /** Length of the stored bytes. */
  size: number
  createdBy: string
  /** ISO-8601. */
  createdAt: string
}

export interface StoredImage extends StoredImageMeta {
  bytes: Buffer
}

export interface NewImage {
  canvasId: string
  hash: string
  type: StoredImageType
  width: number
  height: number
  bytes: Buffer
  createdBy: string
}

export interface ImageStore {
  /** Stores the image unless that canvas has it already [IMG1]; answers the stored row's metadata. */
  put(image: NewImage): Promise<StoredImageMeta>
  /** The canvas's image with this hash, bytes included [IMG2]; undefined when it has none. */
  get(canvasId: string, hash: string): Promise<StoredImage | undefined>
  close(): Promise<void>
}

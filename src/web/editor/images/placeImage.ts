import type { NewObject } from '../../../protocol/objects.js'
import { round } from '../../canvas/geometry.js'
import { newId } from '../../canvas/objectFactory.js'
import type { Point } from '../../canvas/viewport.js'

/** Share of the visible area a new image may cover at most, each way. */
const VIEW_SHARE = 0.8

/**
 * A new image object for a stored picture: at its natural size (one image pixel per world
 * unit), shrunk to fit within most of the view if larger, centred on `center` (world units).
 */
export function imageObjectAt(
  image: { id: string; width: number; height: number },
  center: Point,
  visible: { width: number; height: number },
  zIndex: number,
): NewObject {
  const fit = Math.min(
    1,
    (visible.width * VIEW_SHARE) / image.width,
    (visible.height * VIEW_SHARE) / image.height,
  )
  const width = Math.max(1, round(image.width * fit))
  const height = Math.max(1, round(image.height * fit))
  return {
    id: newId(),
    type: 'image',
    imageId: image.id,
    x: round(center.x - width / 2),
    y: round(center.y - height / 2),
    width,
    height,
    rotation: 0,
    opacity: 1,
    zIndex,
  }
}

/** The image files among pasted or dropped items (anything else is left to other handlers). */
export function imageFilesOf<F extends { type: string }>(files: ArrayLike<F> | undefined | null): F[] {
  return Array.from(files ?? []).filter((f) => f.type.startsWith('image/') || f.type === '')
}

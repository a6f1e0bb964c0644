import { createContext } from 'react'
import { imageUrl } from '../../protocol/images.js'

/**
 * The canvas whose images the shapes show: an image object names only a hash [PROTO18], and its
 * address is always this canvas's own (never anything an object could choose).
 */
export const ImageCanvasContext = createContext<string | undefined>(undefined)

export function imageUrlFor(canvasId: string | undefined, imageId: string | undefined): string | undefined {
  return canvasId === undefined || imageId === undefined ? undefined : imageUrl(canvasId, imageId)
}

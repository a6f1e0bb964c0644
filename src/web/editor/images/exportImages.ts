import type { CanvasObject } from '../../../protocol/objects.js'
import { imageUrl } from '../../../protocol/images.js'

const EMBEDDABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

/**
 * The pictures of the image objects among `objects`, as data: URLs to embed in an export: an
 * exported file is opened elsewhere, where our image URLs need a session it does not have. Only
 * the types the server stores are embedded; a picture that cannot be fetched is left out (the
 * export then draws its box).
 */
export async function imageDataUrls(
  canvasId: string,
  objects: readonly CanvasObject[],
): Promise<Map<string, string>> {
  const ids = new Set(objects.flatMap((o) => (o.type === 'image' && o.imageId ? [o.imageId] : [])))
  const found = await Promise.all(
    [...ids].map(async (id) => {
      try {
        const res = await fetch(imageUrl(canvasId, id), { credentials: 'same-origin' })
        const blob = await res.blob()
        if (!res.ok || !EMBEDDABLE.has(blob.type)) return undefined
        return [id, await dataUrlOf(blob)] as const
      } catch {
        return undefined
      }
    }),
  )
  return new Map(found.filter((entry) => entry !== undefined))
}

function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () =>
      typeof reader.result === 'string'
        ? resolve(reader.result)
        : reject(new Error('could not read the image'))
    reader.onerror = () => reject(new Error('could not read the image'))
    reader.readAsDataURL(blob)
  })
}

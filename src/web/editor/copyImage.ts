import type { CanvasObject } from '../../protocol/objects.js'
import { exportSvg } from '../canvas/exportSvg.js'
import type { Bounds } from '../canvas/viewport.js'
import { fittingScale, rasterize } from './rasterize.js'

/**
 * Copy as image [ED-E3]: a PNG on the system clipboard through the async Clipboard API. The PNG
 * is handed over as a promise, so the write starts within the user's gesture while the image is
 * still being drawn (Safari requires that; Chromium accepts it). Browsers without the API, or
 * that refuse (no permission, page not focused), get a sentence saying what to do instead.
 */
export type CopyResult = { ok: true } | { ok: false; message: string }

export const COPY_UNSUPPORTED = 'This browser cannot put images on the clipboard. Use Export → PNG instead.'
export const COPY_REFUSED =
  'The browser did not allow copying the image (clipboard permission or focus). Use Export → PNG instead.'

export async function copyPngToClipboard(png: Promise<Blob>): Promise<CopyResult> {
  const clipboard = typeof navigator === 'undefined' ? undefined : navigator.clipboard
  if (typeof ClipboardItem === 'undefined' || typeof clipboard?.write !== 'function') {
    // Nothing will consume the drawing: keep its failure from going unhandled.
    png.catch(() => undefined)
    return { ok: false, message: COPY_UNSUPPORTED }
  }
  try {
    await clipboard.write([new ClipboardItem({ 'image/png': png })])
    return { ok: true }
  } catch {
    return { ok: false, message: COPY_REFUSED }
  }
}

/** The objects as a PNG for the clipboard: white background, a little padding, 2× when it fits. */
export function pngOfObjects(objects: readonly CanvasObject[], area?: Bounds): Promise<Blob> | undefined {
  const result = exportSvg(objects, { background: '#ffffff', padding: 16, ...(area ? { area } : {}) })
  if (!result) return undefined
  const { width, height } = result.bounds
  return rasterize(
    new Blob([result.svg], { type: 'image/svg+xml' }),
    width,
    height,
    fittingScale(width, height, 2),
  )
}

/** Shift+Ctrl/Cmd+C: the selection, or the whole canvas when nothing is selected [ED-E3]. */
export function copyAsImage(
  selected: readonly CanvasObject[],
  sorted: readonly CanvasObject[],
): Promise<CopyResult> {
  const png = pngOfObjects(selected.length > 0 ? selected : sorted)
  if (!png) return Promise.resolve({ ok: false, message: 'There is nothing to copy yet.' })
  return copyPngToClipboard(png)
}

/** The largest PNG side (px): a huge canvas at a big scale would exhaust the tab's memory. */
export const MAX_PNG_SIDE = 8_192

/** The SVG drawn by the browser onto a canvas of `scale` px per world unit, as PNG [ED-E1]. */
export async function rasterize(svg: Blob, width: number, height: number, scale: number): Promise<Blob> {
  const url = URL.createObjectURL(svg)
  try {
    const image = new Image()
    image.src = url
    await image.decode()
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(width * scale))
    canvas.height = Math.max(1, Math.round(height * scale))
    const context = canvas.getContext('2d')
    if (!context) throw new Error('no 2d context')
    context.drawImage(image, 0, 0, canvas.width, canvas.height)
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('toBlob failed'))), 'image/png'),
    )
  } finally {
    URL.revokeObjectURL(url)
  }
}

/** The scale at most `wanted` that keeps the longer side within MAX_PNG_SIDE (for the clipboard). */
export function fittingScale(width: number, height: number, wanted: number): number {
  const side = Math.max(width, height)
  return side * wanted <= MAX_PNG_SIDE ? wanted : MAX_PNG_SIDE / Math.max(1, side)
}

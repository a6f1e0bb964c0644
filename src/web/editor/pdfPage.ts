/** PDF readers' page limit: 200 inches, in points. */
export const PDF_MAX_SIDE_PT = 14_400

/** The PDF page for an exported area (1 world unit = 1 pt), scaled down in proportion past the limit [ED-E2]. */
export function pdfPageSize(width: number, height: number): { width: number; height: number } {
  const factor = Math.min(1, PDF_MAX_SIDE_PT / Math.max(width, height, 1))
  return { width: Math.max(1, width * factor), height: Math.max(1, height * factor) }
}

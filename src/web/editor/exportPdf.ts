import { jsPDF } from 'jspdf'
import 'svg2pdf.js'

/**
 * PDF export [ED-E2]: the export SVG converted to vector PDF (jsPDF + svg2pdf.js) in the
 * browser, one page the size of the exported area, 1 world unit = 1 pt. Vector rather than an
 * embedded raster: sharp at any zoom and print size, a few kilobytes, text stays text. A page
 * side is at most PDF_MAX_SIDE_PT (PDF readers' 200-inch limit): a larger area is scaled down
 * to fit, in proportion.
 */
export const PDF_MAX_SIDE_PT = 14_400

export function pdfPageSize(width: number, height: number): { width: number; height: number } {
  const factor = Math.min(1, PDF_MAX_SIDE_PT / Math.max(width, height, 1))
  return { width: Math.max(1, width * factor), height: Math.max(1, height * factor) }
}

export async function svgToPdf(svg: string, width: number, height: number): Promise<Blob> {
  const page = pdfPageSize(width, height)
  const doc = new jsPDF({
    unit: 'pt',
    format: [page.width, page.height],
    orientation: page.width > page.height ? 'landscape' : 'portrait',
    compress: true,
  })
  const element = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement
  await doc.svg(element, { x: 0, y: 0, width: page.width, height: page.height })
  return doc.output('blob')
}

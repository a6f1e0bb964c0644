import { jsPDF } from 'jspdf'
import 'svg2pdf.js'
import { pdfPageSize } from './pdfPage.js'

/**
 * PDF export [ED-E2]: the export SVG converted to vector PDF (jsPDF + svg2pdf.js) in the
 * browser, one page the size of the exported area, 1 world unit = 1 pt. Vector rather than an
 * embedded raster: sharp at any zoom and print size, a few kilobytes, text stays text.
 */

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

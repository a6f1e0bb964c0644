import type { CanvasObject } from '../../protocol/objects.js'
import { DEFAULT_FONT_FAMILY, isPointBased, objectBounds, TEXT_LINE_HEIGHT, unionBounds } from './geometry.js'
import { SHAPE_FONT_SIZE, SHAPE_TEXT_COLOR } from './shapeText.js'
import type { Bounds } from './viewport.js'

/**
 * Export [ED-E1]: the canvas (or a selection) as a standalone SVG built from the data alone, so
 * it holds every object, not only those on screen; PNG is this SVG rasterised by the browser.
 * Pure: strings in, a string out. Text is escaped, colours are the protocol's checked CSS colours.
 */

export interface ExportOptions {
  /** A CSS colour, or undefined for a transparent background. */
  background: string | undefined
  /** World units around the objects. */
  padding: number
  /** Image objects' pictures by imageId, as data: URLs; one missing is drawn as its box. */
  images?: ReadonlyMap<string, string>
  /** The area to export instead of the objects' bounds (a frame's box: it clips) [ED-E2]. */
  area?: Bounds
}

export interface SvgExport {
  svg: string
  /** The exported area in world units (its size is the SVG's size at scale 1). */
  bounds: Bounds
}

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
const n = (v: number) => String(Math.round(v * 100) / 100)

export function exportSvg(objects: readonly CanvasObject[], options: ExportOptions): SvgExport | undefined {
  const drawn = objects.filter((o) => o.type !== 'group')
  const inner = options.area ?? unionBounds(drawn.map(objectBounds))
  if (inner === undefined) return undefined
  const pad = Math.max(0, options.padding)
  const bounds = {
    x: inner.x - pad,
    y: inner.y - pad,
    width: inner.width + 2 * pad,
    height: inner.height + 2 * pad,
  }
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(bounds.width)}" height="${n(bounds.height)}" viewBox="${n(bounds.x)} ${n(bounds.y)} ${n(bounds.width)} ${n(bounds.height)}">`,
  ]
  if (options.background !== undefined)
    parts.push(
      `<rect x="${n(bounds.x)}" y="${n(bounds.y)}" width="${n(bounds.width)}" height="${n(bounds.height)}" fill="${esc(options.background)}"/>`,
    )
  for (const o of drawn) parts.push(objectSvg(o, options.images))
  parts.push('</svg>')
  return { svg: parts.join('\n'), bounds }
}

function objectSvg(o: CanvasObject, images: ReadonlyMap<string, string> | undefined): string {
  const transform = `translate(${n(o.x ?? 0)} ${n(o.y ?? 0)})${o.rotation ? ` rotate(${n(o.rotation)})` : ''}`
  const strokeWidth = o.strokeWidth ?? 0
  const dash =
    o.dash && o.dash.length > 0
      ? ` stroke-dasharray="${o.dash.map((d) => n(d * Math.max(1, strokeWidth))).join(' ')}"`
      : ''
  const stroke =
    strokeWidth > 0 && o.stroke ? ` stroke="${esc(o.stroke)}" stroke-width="${n(strokeWidth)}"${dash}` : ''
  const common = `transform="${transform}" opacity="${n(o.opacity ?? 1)}"`
  const w = o.width ?? 0
  const h = o.height ?? 0
  const fill = esc(o.fill ?? 'transparent')
  switch (o.type) {
    case 'image': {
      const href = o.imageId === undefined ? undefined : images?.get(o.imageId)
      if (href === undefined || !href.startsWith('data:image/'))
        return `<g ${common}><rect width="${n(w)}" height="${n(h)}" fill="none" stroke="#8b8d98" stroke-dasharray="6 4"/></g>`
      return `<g ${common}><image width="${n(w)}" height="${n(h)}" preserveAspectRatio="none" href="${esc(href)}"/></g>`
    }
    case 'rect':
    case 'frame':
      return `<g ${common}><rect width="${n(w)}" height="${n(h)}" rx="${n(o.cornerRadius ?? 0)}" fill="${fill}"${stroke}/>${labelSvg(o)}</g>`
    case 'ellipse':
      return `<g ${common}><ellipse cx="${n(w / 2)}" cy="${n(h / 2)}" rx="${n(Math.abs(w) / 2)}" ry="${n(Math.abs(h) / 2)}" fill="${fill}"${stroke}/>${labelSvg(o)}</g>`
    case 'line':
    case 'arrow':
    case 'path': {
      const points = o.points ?? []
      const width = Math.max(1, strokeWidth)
      const line = `<polyline points="${pairs(points)}" fill="none" stroke="${esc(o.stroke ?? '#000000')}" stroke-width="${n(width)}" stroke-linecap="round" stroke-linejoin="round"${dash}/>`
      const heads =
        o.type === 'arrow'
          ? [
              (o.arrowEnd ?? true) ? arrowHead(points, points.length - 2, width, o.stroke) : '',
              o.arrowStart ? arrowHead(points, 0, width, o.stroke) : '',
            ].join('')
          : ''
      return `<g ${common}>${line}${heads}</g>`
    }
    case 'text': {
      const size = o.fontSize ?? 24
      const lines = (o.text ?? '').split('\n')
      const anchor = o.align === 'center' ? 'middle' : o.align === 'right' ? 'end' : 'start'
      const x = o.align === 'center' ? w / 2 : o.align === 'right' ? w : 0
      const spans = lines
        .map(
          (line, i) => `<tspan x="${n(x)}" y="${n(size * (TEXT_LINE_HEIGHT * i + 1))}">${esc(line)}</tspan>`,
        )
        .join('')
      return `<g ${common}><text font-size="${n(size)}" font-family="${esc(o.fontFamily ?? DEFAULT_FONT_FAMILY)}" fill="${esc(o.fill ?? '#1c2024')}" text-anchor="${anchor}">${spans}</text></g>`
    }
    case 'group':
      return ''
  }
}

/** Words inside a rectangle or ellipse: centred lines (no wrapping in SVG 1.1). */
function labelSvg(o: CanvasObject): string {
  const text = o.text ?? ''
  if (text === '' || isPointBased(o.type)) return ''
  const size = o.fontSize ?? SHAPE_FONT_SIZE
  const lines = text.split('\n')
  const w = o.width ?? 0
  const h = o.height ?? 0
  const top = h / 2 - (lines.length * size * TEXT_LINE_HEIGHT) / 2
  const spans = lines
    .map(
      (line, i) =>
        `<tspan x="${n(w / 2)}" y="${n(top + size * (TEXT_LINE_HEIGHT * i + 1))}">${esc(line)}</tspan>`,
    )
    .join('')
  return `<text font-size="${n(size)}" font-family="${esc(o.fontFamily ?? DEFAULT_FONT_FAMILY)}" fill="${SHAPE_TEXT_COLOR}" text-anchor="middle">${spans}</text>`
}

function pairs(points: readonly number[]): string {
  const out: string[] = []
  for (let i = 0; i + 1 < points.length; i += 2) out.push(`${n(points[i] ?? 0)},${n(points[i + 1] ?? 0)}`)
  return out.join(' ')
}

/** A filled triangle at the point `at` (index of its x), pointing away from its neighbour. */
function arrowHead(points: readonly number[], at: number, width: number, color: string | undefined): string {
  const tipX = points[at] ?? 0
  const tipY = points[at + 1] ?? 0
  const from = at === 0 ? 2 : at - 2
  const angle = Math.atan2(tipY - (points[from + 1] ?? 0), tipX - (points[from] ?? 0))
  const length = Math.max(10, width * 4)
  const half = length / 2
  const bx = tipX - length * Math.cos(angle)
  const by = tipY - length * Math.sin(angle)
  const px = -Math.sin(angle) * half
  const py = Math.cos(angle) * half
  return `<polygon points="${n(tipX)},${n(tipY)} ${n(bx + px)},${n(by + py)} ${n(bx - px)},${n(by - py)}" fill="${esc(color ?? '#000000')}"/>`
}

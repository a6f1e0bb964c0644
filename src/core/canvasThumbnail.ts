import type { CanvasObject } from '../protocol/objects.js'

/**
 * A canvas's picture for the canvas list [LIST1]: a small SVG drawn from its objects. Pure:
 * objects in, a string out. Cheap by construction whatever the canvas holds: at most
 * THUMBNAIL_MAX_OBJECTS shapes (the largest, drawn in z order), paths thinned to
 * THUMBNAIL_MAX_POINTS points, the first lines of each text. Every string that reaches the
 * markup is escaped; images are drawn as their frame (their bytes are not inlined).
 */

export const THUMBNAIL_WIDTH = 320
export const THUMBNAIL_HEIGHT = 132
export const THUMBNAIL_MAX_OBJECTS = 400
export const THUMBNAIL_MAX_POINTS = 64
const MAX_TEXT_LINES = 4
const MAX_LINE_CHARS = 60

interface Box {
  x: number
  y: number
  width: number
  height: number
}

const esc = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
const n = (v: number) => String(Math.round(v * 10) / 10)
const num = (v: number | undefined, fallback = 0) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback

const POINT_BASED = new Set(['line', 'arrow', 'path'])

/** The world box an object covers (rotation left out: a thumbnail only needs the gist). */
export function thumbnailBounds(o: CanvasObject): Box | undefined {
  const x = num(o.x)
  const y = num(o.y)
  if (POINT_BASED.has(o.type)) {
    const points = o.points ?? []
    if (points.length < 2) return undefined
    let minX = Infinity
    let minY = Infinity
    let maxX = -Infinity
    let maxY = -Infinity
    for (let i = 0; i + 1 < points.length; i += 2) {
      const px = num(points[i])
      const py = num(points[i + 1])
      minX = Math.min(minX, px)
      maxX = Math.max(maxX, px)
      minY = Math.min(minY, py)
      maxY = Math.max(maxY, py)
    }
    return { x: x + minX, y: y + minY, width: maxX - minX, height: maxY - minY }
  }
  const w = num(o.width)
  const h = num(o.height)
  return { x: Math.min(x, x + w), y: Math.min(y, y + h), width: Math.abs(w), height: Math.abs(h) }
}

/** Which objects a thumbnail draws: groups are names, not shapes; the largest win past the cap. */
function drawnObjects(objects: readonly CanvasObject[]): { object: CanvasObject; box: Box }[] {
  const boxed: { object: CanvasObject; box: Box }[] = []
  for (const object of objects) {
    if (object.type === 'group') continue
    const box = thumbnailBounds(object)
    if (box) boxed.push({ object, box })
  }
  const kept =
    boxed.length <= THUMBNAIL_MAX_OBJECTS
      ? boxed
      : [...boxed]
          .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)
          .slice(0, THUMBNAIL_MAX_OBJECTS)
  return kept.sort(
    (a, b) => num(a.object.zIndex) - num(b.object.zIndex) || (a.object.id < b.object.id ? -1 : 1),
  )
}

export function thumbnailSvg(objects: readonly CanvasObject[]): string {
  const drawn = drawnObjects(objects)
  const open = (viewBox: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="${THUMBNAIL_WIDTH}" height="${THUMBNAIL_HEIGHT}" viewBox="${viewBox}" preserveAspectRatio="xMidYMid meet">`
  if (drawn.length === 0) return `${open(`0 0 ${THUMBNAIL_WIDTH} ${THUMBNAIL_HEIGHT}`)}</svg>`
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const { box } of drawn) {
    minX = Math.min(minX, box.x)
    minY = Math.min(minY, box.y)
    maxX = Math.max(maxX, box.x + box.width)
    maxY = Math.max(maxY, box.y + box.height)
  }
  // A margin of a tenth of the larger side (at least 8 units) keeps strokes inside the picture.
  const pad = Math.max(8, Math.max(maxX - minX, maxY - minY) / 10)
  const viewBox = `${n(minX - pad)} ${n(minY - pad)} ${n(maxX - minX + 2 * pad)} ${n(maxY - minY + 2 * pad)}`
  return [open(viewBox), ...drawn.map(({ object }) => shapeSvg(object)), '</svg>'].join('')
}

function shapeSvg(o: CanvasObject): string {
  const x = num(o.x)
  const y = num(o.y)
  const rotation = num(o.rotation)
  const transform = `translate(${n(x)} ${n(y)})${rotation !== 0 ? ` rotate(${n(rotation)})` : ''}`
  const opacity = Math.min(1, Math.max(0, num(o.opacity, 1)))
  const strokeWidth = Math.max(0, num(o.strokeWidth))
  const stroke =
    strokeWidth > 0 && o.stroke ? ` stroke="${esc(o.stroke)}" stroke-width="${n(strokeWidth)}"` : ''
  const fill = esc(o.fill ?? 'transparent')
  const w = num(o.width)
  const h = num(o.height)
  const head = `<g transform="${transform}" opacity="${n(opacity)}">`
  switch (o.type) {
    case 'rect':
    case 'frame':
      return `${head}<rect width="${n(w)}" height="${n(h)}" rx="${n(Math.max(0, num(o.cornerRadius)))}" fill="${fill}"${stroke}/></g>`
    case 'image':
      return `${head}<rect width="${n(w)}" height="${n(h)}" fill="#e8e8ec" stroke="#b9bbc6" stroke-width="1"/></g>`
    case 'ellipse':
      return `${head}<ellipse cx="${n(w / 2)}" cy="${n(h / 2)}" rx="${n(Math.abs(w) / 2)}" ry="${n(Math.abs(h) / 2)}" fill="${fill}"${stroke}/></g>`
    case 'line':
    case 'arrow':
    case 'path':
      return `${head}<polyline points="${thinned(o.points ?? [])}" fill="none" stroke="${esc(o.stroke ?? '#1c2024')}" stroke-width="${n(Math.max(1, strokeWidth))}" stroke-linecap="round" stroke-linejoin="round"/></g>`
    case 'text': {
      const size = Math.max(1, num(o.fontSize, 24))
      const lines = (o.text ?? '')
        .split('\n')
        .slice(0, MAX_TEXT_LINES)
        .map((line) => [...line].slice(0, MAX_LINE_CHARS).join(''))
      const spans = lines
        .map((line, i) => `<tspan x="0" y="${n(size * (1.2 * i + 1))}">${esc(line)}</tspan>`)
        .join('')
      return `${head}<text font-size="${n(size)}" font-family="sans-serif" fill="${esc(o.fill ?? '#1c2024')}">${spans}</text></g>`
    }
    case 'group':
      return ''
  }
}

/** At most THUMBNAIL_MAX_POINTS points, evenly picked, the last one always kept. */
function thinned(points: readonly number[]): string {
  const count = Math.floor(points.length / 2)
  const step = Math.max(1, Math.ceil(count / THUMBNAIL_MAX_POINTS))
  const out: string[] = []
  for (let i = 0; i < count; i += step) out.push(`${n(num(points[2 * i]))},${n(num(points[2 * i + 1]))}`)
  if ((count - 1) % step !== 0 && count > 0)
    out.push(`${n(num(points[2 * count - 2]))},${n(num(points[2 * count - 1]))}`)
  return out.join(' ')
}

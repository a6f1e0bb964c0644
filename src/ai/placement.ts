import { GRID, snap } from './components/draft.js'
import { intersects, type Box } from './geometry.js'
import type { Position } from './planner/plan.js'

/** The part of the canvas the user sees; without one, a 1280×800 view at the origin. */
export const DEFAULT_VIEWPORT: Box = { x: 0, y: 0, width: 1280, height: 800 }

/** Clear space kept around what is placed. */
const MARGIN = 32
/** How many rings of candidates around the anchor are tried before giving up on nearness. */
const RINGS = 40

/** Where a box of this size should go: the requested point, a named spot in the viewport, or its centre. */
export function anchorFor(
  size: { width: number; height: number },
  viewport: Box,
  at: { x: number; y: number } | undefined,
  position: Position | undefined,
): { x: number; y: number } {
  if (at !== undefined) return { x: snap(at.x), y: snap(at.y) }
  const left = viewport.x + MARGIN
  const right = viewport.x + viewport.width - size.width - MARGIN
  const top = viewport.y + MARGIN
  const bottom = viewport.y + viewport.height - size.height - MARGIN
  const cx = viewport.x + (viewport.width - size.width) / 2
  const cy = viewport.y + (viewport.height - size.height) / 2
  const [x, y] = ((): [number, number] => {
    switch (position) {
      case 'top-left':
        return [left, top]
      case 'top':
        return [cx, top]
      case 'top-right':
        return [right, top]
      case 'left':
        return [left, cy]
      case 'right':
        return [right, cy]
      case 'bottom-left':
        return [left, bottom]
      case 'bottom':
        return [cx, bottom]
      case 'bottom-right':
        return [right, bottom]
      case 'center':
      case undefined:
        return [cx, cy]
    }
  })()
  return { x: snap(x), y: snap(y) }
}

/**
 * The free spot nearest the anchor for a box of `size`: never overlapping `occupied` (with a
 * margin). Candidates go out in square rings of a step proportional to the box, nearest first;
 * past the rings, below everything there is (always free).
 */
export function placeBox(
  size: { width: number; height: number },
  anchor: { x: number; y: number },
  occupied: readonly Box[],
): { x: number; y: number } {
  const step = Math.max(GRID * 4, snap(Math.min(size.width, size.height) / 2))
  const reach = step * RINGS + Math.max(size.width, size.height)
  const near = occupied.filter((b) =>
    intersects(b, { x: anchor.x - reach, y: anchor.y - reach, width: 2 * reach, height: 2 * reach }),
  )
  const free = (x: number, y: number) => !near.some((b) => intersects(b, { x, y, ...size }, MARGIN))
  if (free(anchor.x, anchor.y)) return anchor
  for (let ring = 1; ring <= RINGS; ring++) {
    const candidates: { x: number; y: number; d: number }[] = []
    for (let i = -ring; i <= ring; i++) {
      for (const [dx, dy] of [
        [i, -ring],
        [i, ring],
        [-ring, i],
        [ring, i],
      ] as const) {
        candidates.push({ x: anchor.x + dx * step, y: anchor.y + dy * step, d: dx * dx + dy * dy })
      }
    }
    candidates.sort((a, b) => a.d - b.d || a.y - b.y || a.x - b.x)
    const found = candidates.find((c) => free(c.x, c.y))
    if (found) return { x: found.x, y: found.y }
  }
  const bottom = occupied.reduce((max, b) => Math.max(max, b.y + b.height), anchor.y)
  return { x: anchor.x, y: snap(bottom + MARGIN * 2) }
}

import type { CanvasObject } from '../../protocol/objects.js'
import { objectBounds } from './geometry.js'
import type { Bounds, Point } from './viewport.js'

/**
 * Snapping while dragging and resizing [ED-S2]: pure math. A dragged box's left, centre and right
 * (top, middle, bottom) snap to the same lines of the other shapes when within a few screen
 * pixels; an axis with no shape line near snaps to the grid instead, when the grid is on. Every
 * snap to a shape comes with a guide line to draw.
 */

/** One candidate line: `at` on its axis, spanning `from`..`to` on the other. */
interface Line {
  at: number
  from: number
  to: number
}

/** The other shapes' lines, sorted by `at`, built once per gesture. */
export interface SnapTargets {
  xs: readonly Line[]
  ys: readonly Line[]
}

/** A guide to draw: a vertical line (`axis` x) at x = `at` from y = `from` to `to`, or horizontal. */
export interface Guide {
  axis: 'x' | 'y'
  at: number
  from: number
  to: number
}

export interface SnapOptions {
  /** How near (world units) a line must be to snap: a few screen pixels over the zoom. */
  threshold: number
  /** Grid step in world units, or undefined when the grid is off. */
  grid: number | undefined
}

/** Screen pixels within which a line snaps. */
export const SNAP_DISTANCE_PX = 6
/** The grid: every 24 world units, the dot grid's step at 100 %. */
export const GRID_SIZE = 24

export function snapTargets(boxes: Iterable<Bounds>): SnapTargets {
  const xs: Line[] = []
  const ys: Line[] = []
  for (const b of boxes) {
    const bottom = b.y + b.height
    const right = b.x + b.width
    for (const at of [b.x, b.x + b.width / 2, right]) xs.push({ at, from: b.y, to: bottom })
    for (const at of [b.y, b.y + b.height / 2, bottom]) ys.push({ at, from: b.x, to: right })
  }
  const byAt = (p: Line, q: Line) => p.at - q.at
  return { xs: xs.sort(byAt), ys: ys.sort(byAt) }
}

/** The line nearest to `value` (binary search), if any. */
function nearest(lines: readonly Line[], value: number): Line | undefined {
  let lo = 0
  let hi = lines.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (lines[mid]!.at < value) lo = mid + 1
    else hi = mid
  }
  const above = lines[lo]
  const below = lines[lo - 1]
  if (!above) return below
  if (!below) return above
  return value - below.at <= above.at - value ? below : above
}

interface AxisSnap {
  /** What to add on this axis. */
  delta: number
  /** The shape line snapped to, when it was a shape (not the grid). */
  at: number | undefined
}

/** The best snap of any of `values` on one axis: the nearest shape line, else the grid for the first value. */
function snapAxis(values: readonly number[], lines: readonly Line[], options: SnapOptions): AxisSnap {
  let best: AxisSnap | undefined
  let bestDistance = Infinity
  for (const v of values) {
    const line = nearest(lines, v)
    if (!line) continue
    const distance = Math.abs(line.at - v)
    if (distance <= options.threshold && distance < bestDistance) {
      bestDistance = distance
      best = { delta: line.at - v, at: line.at }
    }
  }
  if (best) return best
  const first = values[0]
  if (options.grid !== undefined && options.grid > 0 && first !== undefined)
    return { delta: Math.round(first / options.grid) * options.grid - first, at: undefined }
  return { delta: 0, at: undefined }
}

/** The guide along a snapped line: across every target line there and the moved box. */
function guideAt(axis: 'x' | 'y', at: number, lines: readonly Line[], from: number, to: number): Guide {
  let lo = from
  let hi = to
  for (const line of lines) {
    if (Math.abs(line.at - at) > 1e-6) continue
    lo = Math.min(lo, line.from)
    hi = Math.max(hi, line.to)
  }
  return { axis, at, from: lo, to: hi }
}

/** Where a box being moved should go instead of `box`: the offset to add, and the guides. */
export function snapBox(
  box: Bounds,
  targets: SnapTargets,
  options: SnapOptions,
): { dx: number; dy: number; guides: Guide[] } {
  const x = snapAxis([box.x, box.x + box.width / 2, box.x + box.width], targets.xs, options)
  const y = snapAxis([box.y, box.y + box.height / 2, box.y + box.height], targets.ys, options)
  const guides: Guide[] = []
  const top = box.y + y.delta
  const left = box.x + x.delta
  if (x.at !== undefined) guides.push(guideAt('x', x.at, targets.xs, top, top + box.height))
  if (y.at !== undefined) guides.push(guideAt('y', y.at, targets.ys, left, left + box.width))
  return { dx: x.delta, dy: y.delta, guides }
}

/** Where a resize handle being dragged to `p` should go instead, and the guides. */
export function snapPoint(
  p: Point,
  targets: SnapTargets,
  options: SnapOptions,
): { point: Point; guides: Guide[] } {
  const x = snapAxis([p.x], targets.xs, options)
  const y = snapAxis([p.y], targets.ys, options)
  const point = { x: p.x + x.delta, y: p.y + y.delta }
  const guides: Guide[] = []
  if (x.at !== undefined) guides.push(guideAt('x', x.at, targets.xs, point.y, point.y))
  if (y.at !== undefined) guides.push(guideAt('y', y.at, targets.ys, point.x, point.x))
  return { point, guides }
}

/** The view's snapping switches [ED-S2]: to other shapes (on by default) and to the grid. */
export interface SnapSettings {
  shapes: boolean
  grid: boolean
}

export const INITIAL_SNAP: SnapSettings = { shapes: true, grid: false }

/** What a gesture snaps with at this zoom; undefined when snapping is off or Alt is held. */
export function snapOptions(settings: SnapSettings, scale: number, altKey: boolean): SnapOptions | undefined {
  if (altKey || (!settings.shapes && !settings.grid)) return undefined
  return { threshold: SNAP_DISTANCE_PX / scale, grid: settings.grid ? GRID_SIZE : undefined }
}

/** The lines of the drawn objects that stay put (groups are names, not shapes). */
export function targetsAmong(
  objects: readonly CanvasObject[],
  moving: ReadonlySet<string>,
  settings: SnapSettings,
): SnapTargets {
  if (!settings.shapes) return snapTargets([])
  // A connector bound to what moves moves with it: no line of it to snap to.
  const follows = (o: CanvasObject) =>
    (o.startId != null && moving.has(o.startId)) || (o.endId != null && moving.has(o.endId))
  return snapTargets(
    objects.filter((o) => o.type !== 'group' && !moving.has(o.id) && !follows(o)).map(objectBounds),
  )
}

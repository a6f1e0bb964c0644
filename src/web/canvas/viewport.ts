/**
 * The view onto the infinite canvas: `x`, `y` are where the world origin lands on screen (CSS px),
 * `scale` is screen px per world unit. Pure functions; the stage applies the result.
 */
export interface Viewport {
  x: number
  y: number
  scale: number
}

export interface Point {
  x: number
  y: number
}

export interface Bounds {
  x: number
  y: number
  width: number
  height: number
}

export const MIN_SCALE = 0.05
export const MAX_SCALE = 8
const ZOOM_STEPS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4, 6, 8]

export const IDENTITY_VIEWPORT: Viewport = { x: 0, y: 0, scale: 1 }

export const clampScale = (scale: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale))

export function screenToWorld(v: Viewport, p: Point): Point {
  return { x: (p.x - v.x) / v.scale, y: (p.y - v.y) / v.scale }
}

export function worldToScreen(v: Viewport, p: Point): Point {
  return { x: p.x * v.scale + v.x, y: p.y * v.scale + v.y }
}

/** Zooms to `scale` keeping the world point under `anchor` (screen) where it is. */
export function zoomAt(v: Viewport, anchor: Point, scale: number): Viewport {
  const next = clampScale(scale)
  const world = screenToWorld(v, anchor)
  return { scale: next, x: anchor.x - world.x * next, y: anchor.y - world.y * next }
}

/** The next preset zoom level in a direction: buttons and Ctrl/Cmd + = / -. */
export function stepScale(scale: number, direction: 1 | -1): number {
  if (direction > 0) return ZOOM_STEPS.find((s) => s > scale + 1e-6) ?? MAX_SCALE
  return [...ZOOM_STEPS].reverse().find((s) => s < scale - 1e-6) ?? MIN_SCALE
}

/** Frames `bounds` in a `size` screen with a margin, never above 100 % (small drawings stay crisp, not huge). */
export function fitBounds(bounds: Bounds, size: { width: number; height: number }, margin = 64): Viewport {
  const availableW = Math.max(1, size.width - margin * 2)
  const availableH = Math.max(1, size.height - margin * 2)
  const scale = clampScale(
    Math.min(1, availableW / Math.max(1, bounds.width), availableH / Math.max(1, bounds.height)),
  )
  return {
    scale,
    x: size.width / 2 - (bounds.x + bounds.width / 2) * scale,
    y: size.height / 2 - (bounds.y + bounds.height / 2) * scale,
  }
}

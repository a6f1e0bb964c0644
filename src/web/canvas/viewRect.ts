import { clampScale, type Bounds, type Viewport } from './viewport.js'

/**
 * The view as a world rectangle and back: what a client tells the others it sees (PROTO19), and
 * how a follower shows the same part of the canvas on a screen of another size. Pure.
 */

export interface Size {
  width: number
  height: number
}

/** The world rectangle a `size` screen shows through `v`. */
export function visibleRect(v: Viewport, size: Size): Bounds {
  return { x: -v.x / v.scale, y: -v.y / v.scale, width: size.width / v.scale, height: size.height / v.scale }
}

/**
 * The view that shows all of `rect` on a `size` screen, as large as it fits, centred: the same
 * scale and place when the screens are the same size; more around it on a bigger one.
 */
export function viewShowing(rect: Bounds, size: Size): Viewport {
  const scale = clampScale(
    Math.min(size.width / Math.max(1e-6, rect.width), size.height / Math.max(1e-6, rect.height)),
  )
  return {
    scale,
    x: size.width / 2 - (rect.x + rect.width / 2) * scale,
    y: size.height / 2 - (rect.y + rect.height / 2) * scale,
  }
}

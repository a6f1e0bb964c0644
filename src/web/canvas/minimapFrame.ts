import type { Bounds, Point } from './viewport.js'
import type { Size } from './viewRect.js'

/**
 * How the minimap maps the world onto its few pixels: everything drawn plus the current view,
 * with a margin, fitted and centred. Pure; the Minimap component draws and reads the pointer.
 */
export interface MinimapFrame {
  /** Minimap px per world unit. */
  scale: number
  /** Where the world origin lands in the minimap (px). */
  offsetX: number
  offsetY: number
}

const MARGIN = 0.08

export function minimapFrame(content: Bounds | undefined, view: Bounds, size: Size): MinimapFrame {
  const minX = Math.min(view.x, content?.x ?? view.x)
  const minY = Math.min(view.y, content?.y ?? view.y)
  const maxX = Math.max(view.x + view.width, content ? content.x + content.width : -Infinity)
  const maxY = Math.max(view.y + view.height, content ? content.y + content.height : -Infinity)
  const width = Math.max(1, maxX - minX) * (1 + 2 * MARGIN)
  const height = Math.max(1, maxY - minY) * (1 + 2 * MARGIN)
  const scale = Math.min(size.width / width, size.height / height)
  return {
    scale,
    offsetX: size.width / 2 - ((minX + maxX) / 2) * scale,
    offsetY: size.height / 2 - ((minY + maxY) / 2) * scale,
  }
}

export function toMinimap(f: MinimapFrame, world: Point): Point {
  return { x: world.x * f.scale + f.offsetX, y: world.y * f.scale + f.offsetY }
}

export function fromMinimap(f: MinimapFrame, at: Point): Point {
  return { x: (at.x - f.offsetX) / f.scale, y: (at.y - f.offsetY) / f.scale }
}

import { useEffect, useMemo, useRef, useState } from 'react'
import type { CanvasObject } from '../../protocol/objects.js'
import { contains } from './geometry.js'
import type { Bounds, Viewport } from './viewport.js'

/** Which objects the stage draws, and in which Konva layer: culling and layer chunks. */

export /**
 * The world area whose objects are drawn: three view widths and heights around the view, kept
 * while the view stays inside it, so panning re-renders the object list only now and then.
 */
function useRenderWindow(v: Viewport, width: number, height: number): Bounds {
  const [area, setArea] = useState<Bounds | undefined>()
  const view = { x: -v.x / v.scale, y: -v.y / v.scale, width: width / v.scale, height: height / v.scale }
  const stale =
    area === undefined ||
    !contains(area, view) ||
    area.width * area.height > 16 * Math.max(1, view.width * view.height)
  const next = stale
    ? { x: view.x - view.width, y: view.y - view.height, width: view.width * 3, height: view.height * 3 }
    : area
  useEffect(() => {
    if (next !== area) setArea(next)
  }, [next, area])
  return next
}

/** Objects per layer at least; at most MAX_OBJECT_LAYERS layers (Konva advises 3 to 5 in all). */
const MIN_CHUNK = 500
const MAX_OBJECT_LAYERS = 4

/**
 * The draw order cut into up to four runs, one Konva layer each: a change redraws only its own
 * layer's canvas, a quarter of a big scene. A run whose objects are all unchanged keeps its array,
 * so its ShapeList does not even re-render.
 */
export function useStableChunks(sorted: readonly CanvasObject[]): (readonly CanvasObject[])[] {
  const previous = useRef<(readonly CanvasObject[])[]>([])
  return useMemo(() => {
    const size = Math.max(MIN_CHUNK, Math.ceil(sorted.length / MAX_OBJECT_LAYERS))
    const next: (readonly CanvasObject[])[] = []
    for (let start = 0; start === 0 || start < sorted.length; start += size) {
      const chunk = sorted.slice(start, start + size)
      const old = previous.current[next.length]
      next.push(old && old.length === chunk.length && old.every((o, i) => o === chunk[i]) ? old : chunk)
    }
    previous.current = next
    return next
  }, [sorted])
}

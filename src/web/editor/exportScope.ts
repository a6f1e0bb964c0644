import type { CanvasObject } from '../../protocol/objects.js'
import type { Bounds } from '../canvas/viewport.js'

/** What an export covers [ED-E1, ED-E2]: the whole canvas, the selection, or one frame. */
export type ExportScope = { kind: 'canvas' } | { kind: 'selection' } | { kind: 'frame'; id: string }

export interface ScopedObjects {
  objects: readonly CanvasObject[]
  /** The exact area to export (a frame clips what it holds); undefined: the objects' bounds. */
  area: Bounds | undefined
}

/** The frames of the canvas, in draw order, for the export dialog's choice. */
export function framesOf(sorted: readonly CanvasObject[]): CanvasObject[] {
  return sorted.filter((o) => o.type === 'frame')
}

/**
 * The objects of a scope, in draw order. A frame is itself and everything inside it at any
 * depth (by parentId), and its own box is the area: children reaching outside are clipped,
 * as the frame clips them on the canvas.
 */
export function scopedObjects(
  sorted: readonly CanvasObject[],
  selected: readonly CanvasObject[],
  scope: ExportScope,
): ScopedObjects {
  switch (scope.kind) {
    case 'canvas':
      return { objects: sorted, area: undefined }
    case 'selection':
      return { objects: selected.length > 0 ? selected : sorted, area: undefined }
    case 'frame': {
      const frame = sorted.find((o) => o.id === scope.id && o.type === 'frame')
      if (!frame) return { objects: sorted, area: undefined }
      const parentOf = new Map(sorted.map((o) => [o.id, o.parentId ?? null]))
      const inside = (o: CanvasObject) => {
        const seen = new Set<string>()
        for (let at = o.parentId ?? null; at !== null && !seen.has(at); at = parentOf.get(at) ?? null) {
          if (at === frame.id) return true
          seen.add(at)
        }
        return false
      }
      const w = frame.width ?? 0
      const h = frame.height ?? 0
      return {
        objects: sorted.filter((o) => o.id === frame.id || inside(o)),
        area: {
          x: Math.min(frame.x ?? 0, (frame.x ?? 0) + w),
          y: Math.min(frame.y ?? 0, (frame.y ?? 0) + h),
          width: Math.abs(w),
          height: Math.abs(h),
        },
      }
    }
  }
}

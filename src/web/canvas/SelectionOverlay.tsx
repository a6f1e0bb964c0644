import type { CanvasObject } from '../../protocol/objects.js'
import { objectBounds } from './geometry.js'
import { worldToScreen, type Viewport } from './viewport.js'

export interface RemoteSelection {
  userId: string
  color: string
  ids: readonly string[]
}

interface Props {
  selections: readonly RemoteSelection[]
  objects: ReadonlyMap<string, CanvasObject>
  viewport: Viewport
}

/** Padding around an outlined object, in screen pixels, so the outline does not hide its edge. */
const PAD_PX = 3

/**
 * What other people have selected: each object's bounds outlined in its selector's colour. DOM
 * like the cursors, above the canvas and never listening, so it redraws no Konva layer; ids of
 * objects not (or no longer) here are skipped.
 */
export function SelectionOverlay({ selections, objects, viewport }: Props) {
  const boxes = []
  for (const s of selections) {
    for (const id of s.ids) {
      const object = objects.get(id)
      if (!object) continue
      const b = objectBounds(object)
      const p = worldToScreen(viewport, { x: b.x, y: b.y })
      boxes.push(
        <div
          key={`${s.userId}:${id}`}
          className="remote-selection"
          data-testid="remote-selection"
          data-user-id={s.userId}
          data-object-id={id}
          style={{
            transform: `translate3d(${(p.x - PAD_PX).toFixed(1)}px, ${(p.y - PAD_PX).toFixed(1)}px, 0)`,
            width: b.width * viewport.scale + 2 * PAD_PX,
            height: b.height * viewport.scale + 2 * PAD_PX,
            borderColor: s.color,
          }}
        />,
      )
    }
  }
  return (
    <div
      className="selection-overlay"
      aria-hidden="true"
      data-testid="remote-selections"
      data-remote-selection-count={boxes.length}
    >
      {boxes}
    </div>
  )
}

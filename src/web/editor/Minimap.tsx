import { useEffect, useMemo, useRef, useState } from 'react'
import type { CanvasObject } from '../../protocol/objects.js'
import { objectBounds, unionBounds } from '../canvas/geometry.js'
import { fromMinimap, minimapFrame, toMinimap, type MinimapFrame } from '../canvas/minimapFrame.js'
import { visibleRect, type Size } from '../canvas/viewRect.js'
import type { Point, Viewport } from '../canvas/viewport.js'

interface Props {
  sorted: readonly CanvasObject[]
  viewport: Viewport
  stageSize: Size
  /** Centres the view on this world point (a click or drag on the minimap). */
  onCenter: (world: Point) => void
}

const SIZE: Size = { width: 176, height: 112 }

/**
 * The whole canvas in a corner: every object as its box in its colour, and the view as a
 * rectangle. A press or drag centres the view there. Objects are drawn on a 2D canvas (one
 * redraw per change, coalesced to a frame); the view rectangle is a DOM box that just moves.
 * While a drag lasts the map holds still, or it would slide under the pointer.
 */
export function Minimap({ sorted, viewport, stageSize, onCenter }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const [held, setHeld] = useState<MinimapFrame | undefined>()
  const content = useMemo(
    () => unionBounds(sorted.filter((o) => o.type !== 'group').map(objectBounds)),
    [sorted],
  )
  const view = visibleRect(viewport, stageSize)
  const live = minimapFrame(content, view, SIZE)
  const frame = held ?? live
  // Redraw only when what is drawn changes: the objects or the map's own frame.
  const key = `${frame.scale}:${frame.offsetX}:${frame.offsetY}`

  useEffect(() => {
    const el = canvas.current
    if (!el) return
    const id = requestAnimationFrame(() => {
      const ratio = window.devicePixelRatio || 1
      el.width = SIZE.width * ratio
      el.height = SIZE.height * ratio
      const ctx = el.getContext('2d')
      if (!ctx) return
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
      ctx.clearRect(0, 0, SIZE.width, SIZE.height)
      for (const o of sorted) {
        if (o.type === 'group') continue
        const b = objectBounds(o)
        const at = toMinimap(frame, b)
        ctx.fillStyle = minimapColor(o)
        ctx.fillRect(at.x, at.y, Math.max(1, b.width * frame.scale), Math.max(1, b.height * frame.scale))
      }
    })
    return () => cancelAnimationFrame(id)
    // `frame` is read through `key`: the same key draws the same picture.
  }, [sorted, key])

  const box = toMinimap(frame, view)
  const pointAt = (e: React.PointerEvent<HTMLDivElement>, f: MinimapFrame) => {
    const rect = e.currentTarget.getBoundingClientRect()
    return fromMinimap(f, { x: e.clientX - rect.left, y: e.clientY - rect.top })
  }

  return (
    <div
      className="minimap"
      data-testid="minimap"
      role="img"
      aria-label="Minimap: click or drag to move the view"
      style={{ width: SIZE.width, height: SIZE.height }}
      onPointerDown={(e) => {
        if (e.button !== 0) return
        e.preventDefault()
        e.currentTarget.setPointerCapture(e.pointerId)
        setHeld(live)
        onCenter(pointAt(e, live))
      }}
      onPointerMove={(e) => {
        if (held && e.currentTarget.hasPointerCapture(e.pointerId)) onCenter(pointAt(e, held))
      }}
      onPointerUp={() => setHeld(undefined)}
      onPointerCancel={() => setHeld(undefined)}
    >
      <canvas ref={canvas} style={{ width: SIZE.width, height: SIZE.height }} />
      <div
        className="minimap-view"
        data-testid="minimap-view"
        style={{
          left: box.x,
          top: box.y,
          width: Math.max(2, view.width * frame.scale),
          height: Math.max(2, view.height * frame.scale),
        }}
      />
    </div>
  )
}

/** A shape's colour on the map: its fill, else its stroke (lines), else grey. */
function minimapColor(o: CanvasObject): string {
  const fill = o.type === 'text' ? undefined : o.fill
  if (fill !== undefined && fill !== 'transparent') return fill
  return o.stroke ?? o.fill ?? '#8b8d98'
}

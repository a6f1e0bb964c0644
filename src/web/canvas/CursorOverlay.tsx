import { useEffect, useLayoutEffect, useRef } from 'react'
import type { RemoteCursor } from '../sync/syncEngine.js'
import { worldToScreen, type Viewport } from './viewport.js'

interface Props {
  cursors: ReadonlyMap<string, RemoteCursor>
  viewport: Viewport
}

/** Time constant of the glide towards the latest reported position: updates come ~every 33 ms. */
const GLIDE_MS = 60

/**
 * Other people's cursors, above the canvas in their own layer. They are DOM, not Konva: moving
 * one never redraws a canvas layer (the browser composites the transforms), and the labels are
 * real text that tests and assistive tech can read. Positions glide towards each update in one
 * requestAnimationFrame loop that writes `transform` directly, with no React render per frame.
 */
export function CursorOverlay({ cursors, viewport }: Props) {
  const elements = useRef(new Map<string, HTMLDivElement>())
  const shown = useRef(new Map<string, { x: number; y: number }>())
  const targets = useRef(cursors)
  const view = useRef(viewport)

  const frame = useRef(0)
  const last = useRef(0)

  /** Moves every cursor a step towards its target; true while any is still on its way. */
  function paint(dtMs: number): boolean {
    const k = 1 - Math.exp(-dtMs / GLIDE_MS)
    let moving = false
    for (const [id, target] of targets.current) {
      const el = elements.current.get(id)
      const at = shown.current.get(id)
      if (!el || !at) continue
      at.x += (target.x - at.x) * k
      at.y += (target.y - at.y) * k
      if (Math.abs(target.x - at.x) + Math.abs(target.y - at.y) > 0.05) moving = true
      const p = worldToScreen(view.current, at)
      el.style.transform = `translate3d(${p.x.toFixed(1)}px, ${p.y.toFixed(1)}px, 0)`
    }
    return moving
  }

  useLayoutEffect(() => {
    targets.current = cursors
    view.current = viewport
    for (const id of shown.current.keys()) if (!cursors.has(id)) shown.current.delete(id)
    for (const [id, c] of cursors) {
      // A cursor that just appeared starts where it is, not gliding in from the origin.
      if (!shown.current.has(id)) shown.current.set(id, { x: c.x, y: c.y })
    }
    // Place everything for this frame (a pan or zoom moves cursors at once), then glide if needed.
    if (paint(0) && frame.current === 0) {
      last.current = performance.now()
      const tick = (now: number) => {
        const moving = paint(Math.min(100, now - last.current))
        last.current = now
        frame.current = moving ? requestAnimationFrame(tick) : 0
      }
      frame.current = requestAnimationFrame(tick)
    }
  })

  useEffect(
    () => () => {
      cancelAnimationFrame(frame.current)
      frame.current = 0
    },
    [],
  )

  return (
    <div className="cursor-overlay" aria-hidden="true" data-testid="remote-cursors">
      {[...cursors.values()].map((c) => (
        <div
          key={c.userId}
          className="remote-cursor"
          data-testid="remote-cursor"
          data-user-id={c.userId}
          ref={(el) => {
            if (el) elements.current.set(c.userId, el)
            else elements.current.delete(c.userId)
          }}
        >
          <svg width="18" height="20" viewBox="0 0 18 20" className="remote-cursor-arrow">
            <path
              d="M1.5 1.5 L16 10 L9.2 11.4 L5.6 18 Z"
              fill={c.color}
              stroke="#fff"
              strokeWidth="1.5"
              strokeLinejoin="round"
            />
          </svg>
          <span
            className="remote-cursor-label"
            data-testid="cursor-label"
            style={{ backgroundColor: c.color }}
          >
            {c.username}
          </span>
        </div>
      ))}
    </div>
  )
}

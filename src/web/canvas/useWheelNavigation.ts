import type Konva from 'konva'
import { useEffect, useRef, type RefObject } from 'react'
import { zoomAt, type Viewport } from './viewport.js'

/**
 * The wheel pans the view; ctrl or cmd with the wheel (a trackpad pinch) zooms at the pointer.
 */
export function useWheelNavigation(
  stageRef: RefObject<Konva.Stage | null>,
  setViewport: (update: (v: Viewport) => Viewport) => void,
): void {
  const setViewportRef = useRef(setViewport)
  setViewportRef.current = setViewport
  // Wheel on the container in the capture phase, stopped there: Konva would otherwise look up
  // the shape under the pointer (a hit canvas read) on every wheel event.
  useEffect(() => {
    const container = stageRef.current?.container()
    if (!container) return
    const onWheel = (evt: WheelEvent) => {
      evt.preventDefault()
      evt.stopPropagation()
      const rect = container.getBoundingClientRect()
      const pointer = { x: evt.clientX - rect.left, y: evt.clientY - rect.top }
      const lines = evt.deltaMode === 1 ? 16 : 1
      if (evt.ctrlKey || evt.metaKey) {
        // Trackpad pinches arrive as ctrl+wheel with small deltas; mouse wheels with ±100.
        const factor = Math.exp((-evt.deltaY * lines) / 400)
        setViewportRef.current((v) => zoomAt(v, pointer, v.scale * factor))
        return
      }
      const horizontal = evt.shiftKey && evt.deltaX === 0
      const dx = (horizontal ? evt.deltaY : evt.deltaX) * lines
      const dy = (horizontal ? 0 : evt.deltaY) * lines
      setViewportRef.current((v) => ({ ...v, x: v.x - dx, y: v.y - dy }))
    }
    container.addEventListener('wheel', onWheel, { capture: true, passive: false })
    return () => container.removeEventListener('wheel', onWheel, { capture: true })
  }, [])
}

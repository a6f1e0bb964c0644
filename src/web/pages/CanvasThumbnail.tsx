import { useState } from 'react'

interface Props {
  canvasId: string
  /** The canvas's seq from the list: the URL changes when the canvas does, so the browser cache is exact. */
  seq: number
}

/**
 * A canvas's picture in the list [LIST1]: the server draws a small SVG from the objects, cached
 * by seq there and here. An <img> never runs what an SVG holds; lazy loading fetches only the
 * cards on screen. A failed picture leaves the dotted placeholder.
 */
export function CanvasThumbnail({ canvasId, seq }: Props) {
  const [failed, setFailed] = useState(false)
  return (
    <span className="canvas-thumb" aria-hidden="true">
      {!failed && (
        <img
          className="canvas-thumb-image"
          src={`/api/canvases/${encodeURIComponent(canvasId)}/thumbnail?v=${seq}`}
          alt=""
          loading="lazy"
          decoding="async"
          data-testid="canvas-thumbnail"
          onError={() => setFailed(true)}
        />
      )}
    </span>
  )
}

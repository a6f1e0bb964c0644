import { FitIcon, MinusIcon, PlusIcon } from './icons.js'
import { MOD_KEY } from './Toolbar.js'

interface Props {
  scale: number
  onZoomIn: () => void
  onZoomOut: () => void
  onReset: () => void
  onFit: () => void
}

export function ZoomControls({ scale, onZoomIn, onZoomOut, onReset, onFit }: Props) {
  return (
    <div className="zoom-controls" role="group" aria-label="Zoom">
      <button
        type="button"
        className="icon-button"
        aria-label={`Zoom out (${MOD_KEY}+-)`}
        title={`Zoom out (${MOD_KEY}+-)`}
        onClick={onZoomOut}
      >
        <MinusIcon />
      </button>
      <button
        type="button"
        className="zoom-level"
        data-testid="zoom-level"
        aria-label={`Zoom ${Math.round(scale * 100)}%, reset to 100%`}
        title={`Reset to 100% (${MOD_KEY}+0)`}
        onClick={onReset}
      >
        {Math.round(scale * 100)}%
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={`Zoom in (${MOD_KEY}+=)`}
        title={`Zoom in (${MOD_KEY}+=)`}
        onClick={onZoomIn}
      >
        <PlusIcon />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label="Zoom to fit (Shift+1)"
        title="Zoom to fit (Shift+1)"
        onClick={onFit}
      >
        <FitIcon />
      </button>
    </div>
  )
}

import type { SnapSettings } from '../canvas/snapping.js'
import { MOD_KEY } from './Toolbar.js'

interface Props {
  layersOpen: boolean
  onLayers: (open: boolean) => void
  snapping: SnapSettings
  onSnapping: (settings: SnapSettings) => void
}

/** The view's switches: the layers panel [ED-S5], snapping to shapes and the grid [ED-S2]. */
export function ViewToggles({ layersOpen, onLayers, snapping, onSnapping }: Props) {
  return (
    <div className="view-toggles" role="group" aria-label="View" data-testid="view-toggles">
      <button
        type="button"
        className="button small"
        aria-pressed={layersOpen}
        title="Layers (Alt+1)"
        onClick={() => onLayers(!layersOpen)}
      >
        Layers
      </button>
      <button
        type="button"
        className="button small"
        aria-pressed={snapping.shapes}
        title="Snap to shapes while dragging (hold Alt to move freely)"
        onClick={() => onSnapping({ ...snapping, shapes: !snapping.shapes })}
      >
        Snap
      </button>
      <button
        type="button"
        className="button small"
        aria-pressed={snapping.grid}
        title={`Snap to the grid (${MOD_KEY}+')`}
        onClick={() => onSnapping({ ...snapping, grid: !snapping.grid })}
      >
        Grid
      </button>
    </div>
  )
}

import { Line } from 'react-konva'
import type { Guide } from './snapping.js'

const GUIDE_COLOR = '#e5484d'
/** Guides reach a little past what they line up. */
const OVERHANG_PX = 8

/** The snapping guides of the gesture in progress [ED-S2]: solid, one screen pixel wide at any zoom. */
export function SnapGuides({ guides, scale }: { guides: readonly Guide[]; scale: number }) {
  const over = OVERHANG_PX / scale
  return guides.map((g) => (
    <Line
      key={`${g.axis}${g.at}`}
      name="snap-guide"
      listening={false}
      points={
        g.axis === 'x' ? [g.at, g.from - over, g.at, g.to + over] : [g.from - over, g.at, g.to + over, g.at]
      }
      stroke={GUIDE_COLOR}
      strokeWidth={1 / scale}
    />
  ))
}

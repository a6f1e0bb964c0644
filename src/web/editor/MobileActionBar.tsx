import type { CanvasObject } from '../../protocol/objects.js'
import { DuplicateIcon, TrashIcon } from './icons.js'
import { FILL_SWATCHES, styleAppliesTo, SWATCHES, type StyleChange } from './StylePanel.js'

interface Props {
  selected: readonly CanvasObject[]
  onChange: (change: StyleChange) => void
  onDuplicate: () => void
  onDelete: () => void
}

/**
 * On a phone-sized screen the style panel has no room: this bar at the bottom of the canvas takes
 * its place while something is selected (fill, stroke, duplicate, delete), with touch-sized
 * targets. CSS shows it only on narrow screens (comfort.css).
 */
export function MobileActionBar({ selected, onChange, onDuplicate, onDelete }: Props) {
  if (selected.length === 0) return null
  const fills = selected.some((o) => styleAppliesTo(o.type, 'fill'))
  const strokes = selected.some((o) => styleAppliesTo(o.type, 'stroke'))
  const onlyText = selected.every((o) => o.type === 'text')
  return (
    <div className="mobile-actions" role="toolbar" aria-label="Selection" data-testid="mobile-actions">
      {fills && (
        <SwatchRow
          label={onlyText ? 'Text color' : 'Fill'}
          swatches={onlyText ? SWATCHES : FILL_SWATCHES}
          value={selected.find((o) => styleAppliesTo(o.type, 'fill'))?.fill}
          onPick={(fill) => onChange({ fill })}
        />
      )}
      {strokes && (
        <SwatchRow
          label="Stroke"
          swatches={SWATCHES}
          value={selected.find((o) => styleAppliesTo(o.type, 'stroke'))?.stroke}
          onPick={(stroke) => onChange({ stroke })}
        />
      )}
      <div className="mobile-actions-row">
        <button type="button" className="button" onClick={onDuplicate}>
          <DuplicateIcon /> Duplicate
        </button>
        <button type="button" className="button danger" onClick={onDelete}>
          <TrashIcon /> Delete
        </button>
      </div>
    </div>
  )
}

function SwatchRow({
  label,
  swatches,
  value,
  onPick,
}: {
  label: string
  swatches: readonly string[]
  value: string | undefined
  onPick: (color: string) => void
}) {
  return (
    <div className="mobile-actions-row" role="group" aria-label={label}>
      <span className="mobile-actions-label">{label}</span>
      <div className="mobile-swatches">
        {swatches.map((color) => (
          <button
            key={color}
            type="button"
            className={color === 'transparent' ? 'mobile-swatch is-transparent' : 'mobile-swatch'}
            style={color === 'transparent' ? undefined : { backgroundColor: color }}
            aria-label={`${label} ${color}`}
            aria-pressed={value?.toLowerCase() === color}
            onClick={() => onPick(color)}
          />
        ))}
      </div>
    </div>
  )
}

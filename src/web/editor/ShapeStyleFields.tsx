import { useId } from 'react'
import type { CanvasObject } from '../../protocol/objects.js'
import {
  ALIGNMENTS,
  DASH_STYLES,
  dashStyleOf,
  FONT_FAMILIES,
  shapeStyleAppliesTo,
  type ShapeStyleChange,
} from './shapeStyle.js'

interface Props {
  selected: readonly CanvasObject[]
  onChange: (change: ShapeStyleChange) => void
}

const DASH_LABEL = { solid: 'Solid', dashed: 'Dashed', dotted: 'Dotted' } as const
const ALIGN_LABEL = { left: 'Left', center: 'Center', right: 'Right' } as const

/**
 * Stroke pattern, corners, arrowheads, font and alignment of the selection [ED-S1]: shown only
 * when a selected object has the property; each pick is one change, one undo step.
 */
export function ShapeStyleFields({ selected, onChange }: Props) {
  const id = useId()
  const first = (key: keyof ShapeStyleChange) => selected.find((o) => shapeStyleAppliesTo(o.type, key))
  const dashed = first('dash')
  const rounded = first('cornerRadius')
  const arrow = first('arrowEnd')
  const text = first('fontFamily')
  return (
    <>
      {dashed && (
        <div className="panel-field" role="group" aria-label="Stroke style">
          <div className="panel-field-label">Stroke style</div>
          <div className="segmented">
            {DASH_STYLES.map((style) => (
              <button
                key={style}
                type="button"
                className="button small"
                aria-pressed={dashStyleOf(dashed) === style}
                onClick={() => onChange({ dash: style })}
              >
                {DASH_LABEL[style]}
              </button>
            ))}
          </div>
        </div>
      )}
      {rounded && (
        <div className="panel-field inline">
          <label htmlFor={`${id}-radius`} className="panel-field-label">
            Corner radius
          </label>
          <input
            id={`${id}-radius`}
            type="number"
            min={0}
            max={500}
            value={rounded.cornerRadius ?? 0}
            onChange={(e) => {
              const v = Number(e.target.value)
              if (Number.isFinite(v)) onChange({ cornerRadius: Math.min(500, Math.max(0, v)) })
            }}
          />
        </div>
      )}
      {arrow && (
        <div className="panel-field" role="group" aria-label="Arrowheads">
          <div className="panel-field-label">Arrowheads</div>
          <label className="checkbox-field">
            <input
              type="checkbox"
              checked={arrow.arrowStart ?? false}
              onChange={(e) => onChange({ arrowStart: e.target.checked })}
            />
            At the start
          </label>
          <label className="checkbox-field">
            <input
              type="checkbox"
              checked={arrow.arrowEnd ?? true}
              onChange={(e) => onChange({ arrowEnd: e.target.checked })}
            />
            At the end
          </label>
        </div>
      )}
      {text && (
        <>
          <div className="panel-field inline">
            <label htmlFor={`${id}-font`} className="panel-field-label">
              Font
            </label>
            <select
              id={`${id}-font`}
              value={FONT_FAMILIES.find((f) => f.value === text.fontFamily)?.value ?? FONT_FAMILIES[0].value}
              onChange={(e) => onChange({ fontFamily: e.target.value })}
            >
              {FONT_FAMILIES.map((f) => (
                <option key={f.label} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </div>
          <div className="panel-field" role="group" aria-label="Alignment">
            <div className="panel-field-label">Alignment</div>
            <div className="segmented">
              {ALIGNMENTS.map((align) => (
                <button
                  key={align}
                  type="button"
                  className="button small"
                  aria-pressed={(text.align ?? 'left') === align}
                  onClick={() => onChange({ align })}
                >
                  {ALIGN_LABEL[align]}
                </button>
              ))}
            </div>
          </div>
        </>
      )}
    </>
  )
}

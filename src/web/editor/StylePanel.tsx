import { useEffect, useId, useRef, useState, type ReactNode } from 'react'
import type { CanvasObject, ObjectType } from '../../protocol/objects.js'
import type { StyleDefaults } from '../canvas/tools.js'
import type { ZOrderMove } from './editorCommands.js'
import { BackwardIcon, DuplicateIcon, ForwardIcon, ToBackIcon, ToFrontIcon, TrashIcon } from './icons.js'
import { MOD_KEY } from './Toolbar.js'

export type StyleChange = Partial<StyleDefaults>

interface Props {
  selected: readonly CanvasObject[]
  defaults: StyleDefaults
  onChange: (change: StyleChange) => void
  onArrange: (move: ZOrderMove) => void
  onDuplicate: () => void
  onDelete: () => void
  /** More sections for the selection (align and distribute). */
  children?: ReactNode
}

const FILLED: readonly ObjectType[] = ['rect', 'ellipse', 'text', 'frame']
const STROKED: readonly ObjectType[] = ['rect', 'ellipse', 'line', 'arrow', 'path', 'frame']

export const SWATCHES = [
  '#1c2024',
  '#ffffff',
  '#e5484d',
  '#f76b15',
  '#ffc53d',
  '#46a758',
  '#0090ff',
  '#8e4ec6',
]
export const FILL_SWATCHES = [
  'transparent',
  '#ffffff',
  '#dbe4ff',
  '#ffdbdc',
  '#ffefd6',
  '#e9f6e9',
  '#e6f4fe',
  '#1c2024',
]

/** Which style properties apply to an object type. */
export function styleAppliesTo(type: ObjectType, key: keyof StyleDefaults): boolean {
  switch (key) {
    case 'fill':
      return FILLED.includes(type)
    case 'stroke':
    case 'strokeWidth':
      return STROKED.includes(type)
    case 'fontSize':
      return type === 'text'
    case 'opacity':
      return true
  }
}

export function StylePanel({
  selected,
  defaults,
  onChange,
  onArrange,
  onDuplicate,
  onDelete,
  children,
}: Props) {
  const editingDefaults = selected.length === 0
  const shows = (key: keyof StyleDefaults) =>
    editingDefaults || selected.some((o) => styleAppliesTo(o.type, key))
  const valueOf = <K extends keyof StyleDefaults>(key: K): StyleDefaults[K] => {
    const owner = selected.find((o) => styleAppliesTo(o.type, key) && o[key] !== undefined)
    return owner ? (owner[key] as StyleDefaults[K]) : defaults[key]
  }
  const onlyText = !editingDefaults && selected.every((o) => o.type === 'text')

  return (
    <aside className="style-panel" aria-label="Style" data-testid="style-panel">
      <header className="panel-header">
        <h2>{editingDefaults ? 'New shapes' : 'Selection'}</h2>
        {!editingDefaults && <span className="muted small">{countLabel(selected)}</span>}
      </header>
      {editingDefaults && <p className="muted small panel-hint">Style for the next shapes you draw.</p>}

      {shows('fill') && (
        <ColorField
          label={onlyText ? 'Text color' : 'Fill'}
          value={valueOf('fill')}
          swatches={onlyText ? SWATCHES : FILL_SWATCHES}
          onChange={(fill) => onChange({ fill })}
        />
      )}
      {shows('stroke') && (
        <ColorField
          label="Stroke"
          value={valueOf('stroke')}
          swatches={SWATCHES}
          onChange={(stroke) => onChange({ stroke })}
        />
      )}
      {shows('strokeWidth') && (
        <RangeField
          label="Stroke width"
          min={0}
          max={24}
          step={1}
          value={valueOf('strokeWidth')}
          format={(v) => `${v}px`}
          onChange={(strokeWidth) => onChange({ strokeWidth })}
        />
      )}
      <RangeField
        label="Opacity"
        min={0}
        max={100}
        step={5}
        value={Math.round(valueOf('opacity') * 100)}
        format={(v) => `${v}%`}
        onChange={(v) => onChange({ opacity: v / 100 })}
      />
      {shows('fontSize') && (
        <NumberField
          label="Font size"
          min={6}
          max={400}
          value={valueOf('fontSize')}
          onChange={(fontSize) => onChange({ fontSize })}
        />
      )}

      {!editingDefaults && (
        <>
          <h3 className="section-title">Arrange</h3>
          <div className="button-grid">
            <button
              type="button"
              className="button small"
              onClick={() => onArrange('forward')}
              title={`${MOD_KEY}+]`}
            >
              <ForwardIcon /> Forward
            </button>
            <button
              type="button"
              className="button small"
              onClick={() => onArrange('backward')}
              title={`${MOD_KEY}+[`}
            >
              <BackwardIcon /> Backward
            </button>
            <button
              type="button"
              className="button small"
              onClick={() => onArrange('front')}
              title={`${MOD_KEY}+Shift+]`}
            >
              <ToFrontIcon /> To front
            </button>
            <button
              type="button"
              className="button small"
              onClick={() => onArrange('back')}
              title={`${MOD_KEY}+Shift+[`}
            >
              <ToBackIcon /> To back
            </button>
          </div>
          {children}
          <h3 className="section-title">Actions</h3>
          <div className="button-grid">
            <button type="button" className="button small" onClick={onDuplicate} title={`${MOD_KEY}+D`}>
              <DuplicateIcon /> Duplicate
            </button>
            <button type="button" className="button small danger" onClick={onDelete} title="Delete">
              <TrashIcon /> Delete
            </button>
          </div>
        </>
      )}
    </aside>
  )
}

const TYPE_NAME: Record<ObjectType, string> = {
  rect: 'Rectangle',
  ellipse: 'Ellipse',
  line: 'Line',
  arrow: 'Arrow',
  text: 'Text',
  path: 'Drawing',
  frame: 'Frame',
  group: 'Group',
  image: 'Image',
}

function countLabel(selected: readonly CanvasObject[]): string {
  const only = selected.length === 1 ? selected[0] : undefined
  return only ? TYPE_NAME[only.type] : `${selected.length} objects`
}

/**
 * Sliders and colour pickers fire on every step: show each step at once, send the last one after
 * a short pause, so a drag is a handful of operations rather than hundreds. The pending value goes
 * where it was aimed when it was picked (the selection then, or the style for new shapes), even if
 * the selection changes during the pause. `setNow` is for one-off picks (a swatch): it sends at
 * once and drops anything pending, so nothing is sent twice.
 */
function useCommitted<T>(
  value: T,
  commit: (v: T) => void,
  delayMs = 120,
): { local: T; set: (v: T) => void; setNow: (v: T) => void } {
  const [local, setLocal] = useState(value)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const pending = useRef(false)
  useEffect(() => {
    if (!pending.current) setLocal(value)
  }, [value])
  useEffect(() => () => clearTimeout(timer.current), [])
  return {
    local,
    set: (v) => {
      setLocal(v)
      clearTimeout(timer.current)
      pending.current = true
      timer.current = setTimeout(() => {
        pending.current = false
        commit(v)
      }, delayMs)
    },
    setNow: (v) => {
      setLocal(v)
      clearTimeout(timer.current)
      pending.current = false
      commit(v)
    },
  }
}

function toHex6(color: string): string {
  if (/^#[0-9a-f]{6}$/i.test(color)) return color.toLowerCase()
  if (/^#[0-9a-f]{3}$/i.test(color)) return `#${[...color.slice(1)].map((c) => c + c).join('')}`.toLowerCase()
  if (/^#[0-9a-f]{8}$/i.test(color)) return color.slice(0, 7).toLowerCase()
  return '#000000'
}

interface ColorFieldProps {
  label: string
  value: string
  swatches: readonly string[]
  onChange: (value: string) => void
}

function ColorField({ label, value, swatches, onChange }: ColorFieldProps) {
  const { local, set, setNow } = useCommitted(value, onChange)
  const id = useId()
  return (
    <div className="panel-field" role="group" aria-labelledby={`${id}-label`}>
      <div className="panel-field-label" id={`${id}-label`}>
        {label}
      </div>
      <div className="swatches">
        {swatches.map((swatch) => (
          <button
            key={swatch}
            type="button"
            className={swatch === 'transparent' ? 'swatch swatch-none' : 'swatch'}
            style={swatch === 'transparent' ? undefined : { backgroundColor: swatch }}
            aria-label={swatch === 'transparent' ? `${label}: none` : `${label}: ${swatch}`}
            aria-pressed={local.toLowerCase() === swatch}
            onClick={() => setNow(swatch)}
          />
        ))}
        <label className="swatch swatch-custom" title="Custom colour">
          <span className="visually-hidden">{label}: custom colour</span>
          <input type="color" value={toHex6(local)} onChange={(e) => set(e.target.value)} />
        </label>
      </div>
    </div>
  )
}

interface RangeFieldProps {
  label: string
  min: number
  max: number
  step: number
  value: number
  format: (v: number) => string
  onChange: (value: number) => void
}

function RangeField({ label, min, max, step, value, format, onChange }: RangeFieldProps) {
  const { local, set } = useCommitted(value, onChange)
  const id = useId()
  return (
    <div className="panel-field">
      <div className="panel-field-label">
        <label htmlFor={id}>{label}</label>
        <output htmlFor={id} className="muted small">
          {format(local)}
        </output>
      </div>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={local}
        onChange={(e) => set(Number(e.target.value))}
      />
    </div>
  )
}

interface NumberFieldProps {
  label: string
  min: number
  max: number
  value: number
  onChange: (value: number) => void
}

function NumberField({ label, min, max, value, onChange }: NumberFieldProps) {
  const [text, setText] = useState(String(value))
  const id = useId()
  useEffect(() => setText(String(value)), [value])
  const commit = () => {
    const n = Number(text)
    if (text.trim() === '' || !Number.isFinite(n)) return setText(String(value))
    const clamped = Math.min(max, Math.max(min, Math.round(n)))
    setText(String(clamped))
    if (clamped !== value) onChange(clamped)
  }
  return (
    <div className="panel-field inline">
      <label htmlFor={id} className="panel-field-label">
        {label}
      </label>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit()
        }}
      />
    </div>
  )
}

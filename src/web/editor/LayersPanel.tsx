import { useMemo, useState } from 'react'
import type { CanvasObject } from '../../protocol/objects.js'
import { OBJECT_LIMITS } from '../../protocol/objects.js'
import type { ZOrderMove } from './editorCommands.js'
import { layerName, layerRows } from './layerTree.js'
import { isLocked } from './locking.js'

interface Props {
  sorted: readonly CanvasObject[]
  selection: ReadonlySet<string>
  canEdit: boolean
  onSelect: (id: string, add: boolean) => void
  onRename: (id: string, name: string) => void
  onSetLocked: (object: CanvasObject, locked: boolean) => void
  onArrange: (move: ZOrderMove) => void
  onClose: () => void
}

const ARRANGE: [ZOrderMove, string][] = [
  ['front', 'To front'],
  ['forward', 'Forward'],
  ['backward', 'Backward'],
  ['back', 'To back'],
]

/**
 * The layers panel [ED-S5]: every object, topmost first, groups' and frames' children nested.
 * A click selects (Shift adds), a double-click renames, the lock button locks and unlocks, the
 * buttons below reorder the selection.
 */
export function LayersPanel(props: Props) {
  const { sorted, selection, canEdit } = props
  const rows = useMemo(() => layerRows(sorted), [sorted])
  const [renaming, setRenaming] = useState<string | undefined>()

  return (
    <aside className="layers-panel" aria-label="Layers" data-testid="layers-panel">
      <header className="panel-header">
        <h2>Layers</h2>
        <button type="button" className="link-button" onClick={props.onClose} aria-label="Close layers">
          ×
        </button>
      </header>
      {rows.length === 0 && <p className="muted small panel-hint">Nothing on this canvas yet.</p>}
      <ul className="layer-list" role="list">
        {rows.map(({ object: o, depth }) => {
          const name = layerName(o)
          const locked = isLocked(o)
          return (
            <li
              key={o.id}
              className={selection.has(o.id) ? 'layer-row selected' : 'layer-row'}
              style={{ paddingLeft: 6 + depth * 14 }}
              data-layer-id={o.id}
              data-locked={locked}
            >
              {renaming === o.id ? (
                <input
                  className="layer-name-input"
                  aria-label={`Name of ${name}`}
                  defaultValue={o.name ?? ''}
                  maxLength={OBJECT_LIMITS.nameLength}
                  autoFocus
                  onKeyDown={(e) => {
                    e.stopPropagation()
                    if (e.key === 'Enter') e.currentTarget.blur()
                    if (e.key === 'Escape') setRenaming(undefined)
                  }}
                  onBlur={(e) => {
                    if (renaming === o.id) props.onRename(o.id, e.currentTarget.value.trim())
                    setRenaming(undefined)
                  }}
                />
              ) : (
                <button
                  type="button"
                  className="layer-name"
                  aria-pressed={selection.has(o.id)}
                  title={locked ? `${name} (locked)` : canEdit ? `${name}: double-click to rename` : name}
                  onClick={(e) => props.onSelect(o.id, e.shiftKey)}
                  onDoubleClick={() => canEdit && setRenaming(o.id)}
                  onKeyDown={(e) => {
                    if (e.key === 'F2' && canEdit) setRenaming(o.id)
                  }}
                >
                  {name}
                </button>
              )}
              {canEdit && (
                <button
                  type="button"
                  className="layer-lock"
                  aria-label={`${locked ? 'Unlock' : 'Lock'} ${name}`}
                  aria-pressed={locked}
                  title={locked ? 'Unlock' : 'Lock'}
                  onClick={() => props.onSetLocked(o, !locked)}
                >
                  <LockIcon locked={locked} />
                </button>
              )}
            </li>
          )
        })}
      </ul>
      {canEdit && (
        <div className="layer-arrange" role="group" aria-label="Reorder the selection">
          {ARRANGE.map(([move, label]) => (
            <button
              key={move}
              type="button"
              className="button small"
              disabled={selection.size === 0}
              onClick={() => props.onArrange(move)}
            >
              {label}
            </button>
          ))}
        </div>
      )}
    </aside>
  )
}

/** A padlock, shut when locked (SVG: emoji fonts are not everywhere). */
function LockIcon({ locked }: { locked: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <rect
        x="5"
        y="11"
        width="14"
        height="9"
        rx="1.5"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.75"
      />
      <path
        d={locked ? 'M8 11V8a4 4 0 0 1 8 0v3' : 'M8 11V8a4 4 0 0 1 7.5-1.9'}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.75"
        strokeLinecap="round"
      />
    </svg>
  )
}

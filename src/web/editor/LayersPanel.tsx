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
                  {locked ? '🔒' : '🔓'}
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

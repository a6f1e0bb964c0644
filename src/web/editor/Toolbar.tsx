import { TOOL_INFO, TOOLS, type Tool } from '../canvas/tools.js'
import { HelpIcon, RedoIcon, TOOL_ICONS, UndoIcon } from './icons.js'
import { InsertImageButton } from './images/InsertImageButton.js'

interface Props {
  tool: Tool
  onTool: (tool: Tool) => void
  canEdit: boolean
  canUndo: boolean
  canRedo: boolean
  onUndo: () => void
  onRedo: () => void
  onHelp: () => void
  /** Files chosen with the Insert image button. */
  onInsertImages?: (files: File[]) => void
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)
export const MOD_KEY = isMac ? '⌘' : 'Ctrl'

export function Toolbar({
  tool,
  onTool,
  canEdit,
  canUndo,
  canRedo,
  onUndo,
  onRedo,
  onHelp,
  onInsertImages,
}: Props) {
  return (
    <nav className="toolbar" aria-label="Tools" data-testid="toolbar">
      <div className="toolbar-group" role="group" aria-label="Drawing tools">
        {TOOLS.map((t) => {
          const { label, key } = TOOL_INFO[t]
          const disabled = !canEdit && t !== 'select'
          return (
            <button
              key={t}
              type="button"
              className="tool-button"
              aria-label={`${label} (${key})`}
              title={disabled ? `${label} (view only)` : `${label} (${key})`}
              aria-pressed={tool === t}
              disabled={disabled}
              data-tool={t}
              onClick={() => onTool(t)}
            >
              {TOOL_ICONS[t]}
            </button>
          )
        })}
        {onInsertImages && <InsertImageButton disabled={!canEdit} onFiles={onInsertImages} />}
      </div>
      <div className="toolbar-separator" role="separator" />
      <div className="toolbar-group" role="group" aria-label="History">
        <button
          type="button"
          className="tool-button"
          aria-label={`Undo (${MOD_KEY}+Z)`}
          title={`Undo (${MOD_KEY}+Z)`}
          disabled={!canEdit || !canUndo}
          onClick={onUndo}
        >
          <UndoIcon />
        </button>
        <button
          type="button"
          className="tool-button"
          aria-label={`Redo (${MOD_KEY}+Shift+Z)`}
          title={`Redo (${MOD_KEY}+Shift+Z)`}
          disabled={!canEdit || !canRedo}
          onClick={onRedo}
        >
          <RedoIcon />
        </button>
      </div>
      <div className="toolbar-spacer" />
      <button
        type="button"
        className="tool-button"
        aria-label="Keyboard shortcuts (?)"
        title="Keyboard shortcuts (?)"
        onClick={onHelp}
        data-testid="help-button"
      >
        <HelpIcon />
      </button>
    </nav>
  )
}

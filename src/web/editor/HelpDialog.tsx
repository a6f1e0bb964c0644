import { Dialog } from '../components/Dialog.js'
import { TOOL_INFO, TOOLS } from '../canvas/tools.js'
import { MOD_KEY } from './Toolbar.js'

interface Props {
  open: boolean
  onClose: () => void
}

interface Group {
  title: string
  rows: [string, string][]
}

const GROUPS: Group[] = [
  { title: 'Tools', rows: TOOLS.map((t) => [TOOL_INFO[t].label, TOOL_INFO[t].key]) },
  {
    title: 'Edit',
    rows: [
      ['Undo', `${MOD_KEY}+Z`],
      ['Redo', `${MOD_KEY}+Shift+Z`],
      ['Delete selection', 'Delete / Backspace'],
      ['Duplicate', `${MOD_KEY}+D`],
      ['Group / Ungroup', `${MOD_KEY}+G / ${MOD_KEY}+Shift+G`],
      ['Copy / Cut / Paste', `${MOD_KEY}+C / X / V`],
      ['Copy as image', `${MOD_KEY}+Shift+C`],
      ['Select all', `${MOD_KEY}+A`],
      ['Add to selection', 'Shift+click'],
      ['Move selection', 'Arrow keys (Shift: 10 px)'],
      ['Edit text (also inside a rectangle or ellipse)', 'Double-click / Enter'],
      ['Finish editing text', `Esc / ${MOD_KEY}+Enter`],
      ['Bring forward / Send backward', `${MOD_KEY}+] / ${MOD_KEY}+[`],
      ['Bring to front / Send to back', `${MOD_KEY}+Shift+] / [`],
      ['Square, circle, 45° line', 'Shift while drawing'],
      ['Deselect', 'Esc'],
    ],
  },
  {
    title: 'View',
    rows: [
      ['Pan', 'Space+drag / scroll / middle button'],
      ['Zoom', `${MOD_KEY}+scroll / pinch`],
      ['Zoom in / out', `${MOD_KEY}+= / ${MOD_KEY}+-`],
      ['Zoom to 100 %', `${MOD_KEY}+0`],
      ['Zoom to fit', 'Shift+1'],
      ['Zoom to selection', 'Shift+2'],
      ['Follow someone’s view / stop', 'Click their avatar / Esc'],
      ['This help', '?'],
    ],
  },
]

const [TOOL_KEYS, EDIT_KEYS, VIEW_KEYS] = GROUPS as [Group, Group, Group]
const COLUMNS: Group[][] = [[TOOL_KEYS, VIEW_KEYS], [EDIT_KEYS]]

export function HelpDialog({ open, onClose }: Props) {
  return (
    <Dialog title="Keyboard shortcuts" open={open} onClose={onClose} className="wide" testId="help-dialog">
      <div className="shortcut-groups">
        {COLUMNS.map((column) => (
          <div key={column.map((g) => g.title).join()} className="shortcut-column">
            {column.map((group) => (
              <section key={group.title}>
                <h3 className="section-title">{group.title}</h3>
                <dl className="shortcut-list">
                  {group.rows.map(([action, keys]) => (
                    <div key={action} className="shortcut-row">
                      <dt>{action}</dt>
                      <dd>
                        <kbd>{keys}</kbd>
                      </dd>
                    </div>
                  ))}
                </dl>
              </section>
            ))}
          </div>
        ))}
      </div>
    </Dialog>
  )
}

import { useCallback, useEffect, useMemo, useRef, useState, type MouseEvent, type RefObject } from 'react'
import type { CanvasObject, ObjectChanges } from '../../protocol/objects.js'
import { followConnectors } from '../canvas/connectors.js'
import { withFrameFollowUps } from '../canvas/frames.js'
import { objectBounds, unionBounds } from '../canvas/geometry.js'
import { hitTest } from '../canvas/hitTest.js'
import { INITIAL_SNAP, type SnapSettings } from '../canvas/snapping.js'
import { screenToWorld, type Point, type Viewport } from '../canvas/viewport.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import {
  alignChanges,
  distributeChanges,
  unitsOf,
  type Alignment,
  type Distribution,
} from './alignDistribute.js'
import type { MenuCommands, MenuItem, MenuTarget } from './contextMenuItems.js'
import { menuItems } from './contextMenuItems.js'
import { serializeForClipboard, updateMany, type ZOrderMove } from './editorCommands.js'
import { expandToGroups } from './grouping.js'
import { isLocked, lockChanges } from './locking.js'
import { MOD_KEY } from './Toolbar.js'

/** The editor commands the structure tools reuse. */
export interface EditorCommands {
  duplicate: () => void
  remove: () => void
  group: () => void
  ungroup: () => void
  arrange: (move: ZOrderMove) => void
}

interface Options {
  objects: ReadonlyMap<string, CanvasObject>
  sorted: readonly CanvasObject[]
  selected: readonly CanvasObject[]
  selection: ReadonlySet<string>
  canEdit: boolean
  viewport: Viewport
  stageBox: RefObject<HTMLDivElement | null>
  setSelectionIds: (ids: readonly string[]) => void
  commands: EditorCommands
}

const HIT_TOLERANCE_PX = 5

/**
 * The editor's structure tools [ED-S1–S6]: align and distribute, lock, rename, the layers panel
 * and snapping switches, the right-click menu and their shortcuts. Each command is one step.
 */
export function useStructureTools(engine: SyncEngine, o: Options) {
  const { objects, sorted, selected, canEdit } = o
  const [snapping, setSnapping] = useState<SnapSettings>(INITIAL_SNAP)
  const [layersOpen, setLayersOpen] = useState(false)
  const [menu, setMenu] = useState<{ at: Point; target: MenuTarget } | undefined>()
  const [clipboardError, setClipboardError] = useState<{ code: string; message: string } | undefined>()
  const closeMenu = useCallback(() => setMenu(undefined), [])

  /** Position changes plus what they carry along: frames' children, connectors [ED-S4, ED-C1]. */
  const move = useCallback(
    (changes: readonly (readonly [string, ObjectChanges])[]) => {
      const all = withFrameFollowUps(objects, sorted, changes)
      updateMany(engine, [...all, ...followConnectors(objects, all)])
    },
    [engine, objects, sorted],
  )
  const align = useCallback(
    (how: Alignment) => move(alignChanges(objects, selected, how)),
    [move, objects, selected],
  )
  const distribute = useCallback(
    (how: Distribution) => move(distributeChanges(objects, selected, how)),
    [move, objects, selected],
  )
  const setLocked = useCallback(
    (targets: readonly CanvasObject[], locked: boolean) => {
      // What is locked leaves the selection by itself: locked objects are never selected.
      updateMany(engine, lockChanges(targets, locked))
    },
    [engine],
  )
  const rename = useCallback(
    (id: string, name: string) => {
      if ((objects.get(id)?.name ?? '') !== name) engine.update(id, { name })
    },
    [engine, objects],
  )
  const selectLayer = useCallback(
    (id: string, add: boolean) => {
      if (isLocked(objects.get(id))) return
      const unit = expandToGroups(objects, [id])
      o.setSelectionIds(add ? [...new Set([...o.selection, ...unit])] : unit)
    },
    [objects, o],
  )

  const clipboardRefused = () =>
    setClipboardError({
      code: 'clipboard_unavailable',
      message: `The browser did not let the menu use the clipboard: use ${MOD_KEY}+C, ${MOD_KEY}+X and ${MOD_KEY}+V.`,
    })
  const commands: MenuCommands = {
    ...o.commands,
    copy: () => void navigator.clipboard.writeText(serializeForClipboard(selected)).catch(clipboardRefused),
    cut: () => {
      const text = serializeForClipboard(selected)
      navigator.clipboard.writeText(text).then(o.commands.remove, clipboardRefused)
    },
    // Read, then handed to the editor's own paste (the same path as Ctrl+V).
    paste: () =>
      void navigator.clipboard.readText().then((text) => {
        const data = new DataTransfer()
        data.setData('text/plain', text)
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }))
      }, clipboardRefused),
    setLocked,
    align,
    distribute,
    selectAll: () =>
      o.setSelectionIds(sorted.filter((s) => s.type !== 'group' && !isLocked(s)).map((s) => s.id)),
  }
  // Built on every render: the items run the commands of the selection as it is now.
  const items: MenuItem[] = menu ? menuItems(menu.target, commands, MOD_KEY) : []

  const selectionTarget = useCallback(
    (ids: readonly string[]): MenuTarget => {
      const chosen = ids.map((id) => objects.get(id)).filter((x): x is CanvasObject => x !== undefined)
      return {
        kind: 'selection',
        selected: chosen,
        units: unitsOf(objects, chosen).length,
        grouped: chosen.some((c) => c.parentId != null && objects.get(c.parentId)?.type === 'group'),
      }
    },
    [objects],
  )

  /** Right-click on the canvas: on a shape, it is selected first; on a locked one, it offers unlock. */
  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    e.preventDefault()
    const box = o.stageBox.current?.getBoundingClientRect()
    if (!canEdit || !box) return
    const at = { x: e.clientX - box.left, y: e.clientY - box.top }
    const hit = hitTest(sorted, screenToWorld(o.viewport, at), HIT_TOLERANCE_PX / o.viewport.scale)
    if (hit && isLocked(hit)) return setMenu({ at, target: { kind: 'locked', object: hit } })
    if (!hit) {
      o.setSelectionIds([])
      return setMenu({ at, target: { kind: 'canvas' } })
    }
    const ids = o.selection.has(hit.id) ? [...o.selection] : expandToGroups(objects, [hit.id])
    o.setSelectionIds(ids)
    setMenu({ at, target: selectionTarget(ids) })
  }

  // Shortcuts: Shift+F10 or the menu key opens the menu; Ctrl+Shift+L locks; Ctrl+' grid; Alt+1 layers.
  const keyState = useRef({ selected, canEdit, selectionTarget, viewport: o.viewport, stageBox: o.stageBox })
  keyState.current = { selected, canEdit, selectionTarget, viewport: o.viewport, stageBox: o.stageBox }
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const target = e.target
      if (
        target instanceof HTMLElement &&
        (target.isContentEditable ||
          ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
          target.closest('dialog'))
      )
        return
      const k = keyState.current
      const mod = e.ctrlKey || e.metaKey
      if ((e.key === 'F10' && e.shiftKey) || e.key === 'ContextMenu') {
        e.preventDefault()
        const box = k.stageBox.current
        if (!k.canEdit || !box) return
        const sel = unionBounds(k.selected.map(objectBounds))
        const v = k.viewport
        const at = sel
          ? { x: (sel.x + sel.width / 2) * v.scale + v.x, y: (sel.y + sel.height / 2) * v.scale + v.y }
          : { x: box.clientWidth / 2, y: box.clientHeight / 2 }
        setMenu({
          at,
          target: k.selected.length > 0 ? k.selectionTarget(k.selected.map((s) => s.id)) : { kind: 'canvas' },
        })
      } else if (mod && e.shiftKey && e.key.toLowerCase() === 'l') {
        e.preventDefault()
        if (k.canEdit && k.selected.length > 0) updateMany(engine, lockChanges(k.selected, true))
      } else if (mod && e.key === "'") {
        e.preventDefault()
        setSnapping((s) => ({ ...s, grid: !s.grid }))
      } else if (e.altKey && !mod && e.code === 'Digit1') {
        e.preventDefault()
        setLayersOpen((open) => !open)
      }
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [engine])

  return {
    snapping,
    setSnapping,
    layersOpen,
    setLayersOpen,
    menu: menu && { at: menu.at, items },
    closeMenu,
    onContextMenu,
    clipboardError,
    units: useMemo(() => unitsOf(objects, selected).length, [objects, selected]),
    align,
    distribute,
    setLocked,
    rename,
    selectLayer,
  }
}

import { hasText } from '../canvas/shapeText.js'
import { useEffect, useRef } from 'react'
import type { CanvasObject } from '../../protocol/objects.js'
import { toolForKey, type Tool } from '../canvas/tools.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import {
  DUPLICATE_OFFSET,
  nudge,
  parseClipboard,
  placeCopies,
  serializeForClipboard,
  type ZOrderMove,
} from './editorCommands.js'
import { imageFilesOf } from './images/placeImage.js'

/** What the keys read: the editor's current state, as of its last render. */
export interface KeyState {
  canEdit: boolean
  selected: readonly CanvasObject[]
  selection: ReadonlySet<string>
  sorted: readonly CanvasObject[]
  tool: Tool
  helpOpen: boolean
  editingTextId: string | undefined
}

/** The editor's commands the keys run. */
export interface KeyCommands {
  duplicate: () => void
  arrange: (move: ZOrderMove) => void
  remove: () => void
  /** Ctrl/Cmd+G and Shift+Ctrl/Cmd+G [ED-G1]. */
  group: () => void
  ungroup: () => void
  /** Plain text pasted onto the canvas becomes a text [ED-T2]. */
  pasteText: (text: string) => void
  /** Image files pasted onto the canvas are uploaded and placed (docs/editor.md "Images"). */
  pasteImages: (files: File[]) => void
  /** Shift+Ctrl/Cmd+C: the selection (or the canvas) as a PNG on the clipboard [ED-E3]. */
  copyImage: () => void
  zoomBy: (direction: 1 | -1) => void
  zoomTo: (scale: number) => void
  zoomToFit: () => void
  /** Shift+2: frames the selection. */
  zoomToSelection: () => void
  setTool: (tool: Tool) => void
}

interface Options {
  state: KeyState
  commands: KeyCommands
  setSelectionIds: (ids: readonly string[]) => void
  setEditingTextId: (id: string | undefined) => void
  setSpaceHeld: (held: boolean) => void
  setHelpOpen: (open: boolean) => void
}

/**
 * The editor's keyboard shortcuts (HelpDialog lists them) and the system clipboard's copy, cut
 * and paste. Listeners are added once per engine; they read the latest state and commands
 * through refs, so a render never re-adds them.
 */
export function useEditorKeys(engine: SyncEngine, options: Options): void {
  const keys = useRef(options.state)
  keys.current = options.state
  const commands = useRef(options.commands)
  commands.current = options.commands
  const setters = useRef(options)
  setters.current = options
  const pasteCount = useRef(0)

  useEffect(() => {
    const typingIn = (target: EventTarget | null) =>
      target instanceof HTMLElement &&
      (target.isContentEditable ||
        ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
        target.closest('dialog') !== null)

    const onKeyDown = (e: KeyboardEvent) => {
      if (typingIn(e.target)) return
      const k = keys.current
      const c = commands.current
      const mod = e.ctrlKey || e.metaKey
      if (e.key === ' ') {
        // Space pans while held; it must not also press the focused toolbar button.
        e.preventDefault()
        if (!e.repeat) setters.current.setSpaceHeld(true)
        return
      }
      if (mod && !e.altKey) {
        const handled = (() => {
          switch (e.key.toLowerCase()) {
            case 'z':
              if (k.canEdit) {
                if (e.shiftKey) engine.redo()
                else engine.undo()
              }
              return true
            case 'y':
              if (k.canEdit) engine.redo()
              return true
            case 'd':
              if (k.canEdit) c.duplicate()
              return true
            case 'c':
              // Without Shift, Ctrl/Cmd+C stays the browser's copy (the 'copy' event below).
              if (!e.shiftKey) return false
              c.copyImage()
              return true
            case 'g':
              if (k.canEdit) {
                if (e.shiftKey) c.ungroup()
                else c.group()
              }
              return true
            case 'a':
              if (k.canEdit)
                setters.current.setSelectionIds(k.sorted.filter((o) => o.type !== 'group').map((o) => o.id))
              return true
            case '=':
            case '+':
              c.zoomBy(1)
              return true
            case '-':
            case '_':
              c.zoomBy(-1)
              return true
            case '0':
              c.zoomTo(1)
              return true
          }
          if (e.code === 'BracketRight' && k.canEdit) {
            c.arrange(e.shiftKey ? 'front' : 'forward')
            return true
          }
          if (e.code === 'BracketLeft' && k.canEdit) {
            c.arrange(e.shiftKey ? 'back' : 'backward')
            return true
          }
          return false
        })()
        if (handled) e.preventDefault()
        return
      }
      if (e.altKey) return
      if (e.key === '?') {
        e.preventDefault()
        setters.current.setHelpOpen(true)
        return
      }
      if (e.shiftKey && e.code === 'Digit1') {
        e.preventDefault()
        c.zoomToFit()
        return
      }
      if (e.shiftKey && e.code === 'Digit2') {
        e.preventDefault()
        c.zoomToSelection()
        return
      }
      if (e.key === 'Escape') {
        setters.current.setSelectionIds([])
        c.setTool('select')
        return
      }
      if (!k.canEdit) return
      if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault()
        c.remove()
        return
      }
      if (
        e.key === 'Enter' &&
        k.selected.length === 1 &&
        k.selected[0] !== undefined &&
        hasText(k.selected[0])
      ) {
        e.preventDefault()
        setters.current.setEditingTextId(k.selected[0].id)
        return
      }
      const arrows: Record<string, [number, number]> = {
        ArrowLeft: [-1, 0],
        ArrowRight: [1, 0],
        ArrowUp: [0, -1],
        ArrowDown: [0, 1],
      }
      const arrow = arrows[e.key]
      if (arrow && k.selected.length > 0) {
        e.preventDefault()
        const step = e.shiftKey ? 10 : 1
        nudge(engine, k.selected, arrow[0] * step, arrow[1] * step)
        return
      }
      if (e.shiftKey) return
      const next = toolForKey(e.key)
      if (next) {
        e.preventDefault()
        c.setTool(next)
      }
    }
    const onKeyUp = (e: KeyboardEvent) => {
      if (e.key === ' ') setters.current.setSpaceHeld(false)
    }
    const onBlur = () => setters.current.setSpaceHeld(false)

    // Copy and paste through the system clipboard events: no permission prompt, works across tabs.
    const onCopy = (e: ClipboardEvent, cut: boolean) => {
      const k = keys.current
      if (typingIn(e.target) && e.target !== document.body) return
      if (k.selected.length === 0 || !e.clipboardData) return
      e.preventDefault()
      e.clipboardData.setData('text/plain', serializeForClipboard(k.selected))
      pasteCount.current = 0
      if (cut && k.canEdit) commands.current.remove()
    }
    const onPaste = (e: ClipboardEvent) => {
      const k = keys.current
      if (!k.canEdit || (typingIn(e.target) && e.target !== document.body)) return
      const images = imageFilesOf(e.clipboardData?.files)
      if (images.length > 0) {
        e.preventDefault()
        commands.current.pasteImages(images)
        return
      }
      const plain = e.clipboardData?.getData('text/plain') ?? ''
      const copied = parseClipboard(plain)
      if (!copied) {
        if (plain.trim() === '') return
        e.preventDefault()
        commands.current.pasteText(plain)
        return
      }
      if (copied.length === 0) return
      e.preventDefault()
      pasteCount.current += 1
      setters.current.setSelectionIds(
        placeCopies(engine, k.sorted, copied, DUPLICATE_OFFSET * pasteCount.current),
      )
    }
    const copy = (e: ClipboardEvent) => onCopy(e, false)
    const cut = (e: ClipboardEvent) => onCopy(e, true)

    window.addEventListener('keydown', onKeyDown)
    window.addEventListener('keyup', onKeyUp)
    window.addEventListener('blur', onBlur)
    document.addEventListener('copy', copy)
    document.addEventListener('cut', cut)
    document.addEventListener('paste', onPaste)
    return () => {
      window.removeEventListener('keydown', onKeyDown)
      window.removeEventListener('keyup', onKeyUp)
      window.removeEventListener('blur', onBlur)
      document.removeEventListener('copy', copy)
      document.removeEventListener('cut', cut)
      document.removeEventListener('paste', onPaste)
    }
  }, [engine])
}

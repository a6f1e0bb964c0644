import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { presenceColor } from '../../core/presenceColor.js'
import type { CanvasObject, ObjectChanges } from '../../protocol/objects.js'
import type { CanvasSummary } from '../../protocol/httpTypes.js'
import { CanvasStage, type StageActions } from '../canvas/CanvasStage.js'
import { CursorOverlay } from '../canvas/CursorOverlay.js'
import { SelectionOverlay } from '../canvas/SelectionOverlay.js'
import { clampFontSize, objectBounds, sortByZ, unionBounds } from '../canvas/geometry.js'
import { fitText, measureTextHeight } from '../canvas/measureText.js'
import { TextEditor } from '../canvas/TextEditor.js'
import { INITIAL_STYLE, toolForKey, type StyleDefaults, type Tool } from '../canvas/tools.js'
import {
  fitBounds,
  IDENTITY_VIEWPORT,
  stepScale,
  zoomAt,
  type Point,
  type Viewport,
} from '../canvas/viewport.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import {
  deleteSelection,
  DUPLICATE_OFFSET,
  nudge,
  parseClipboard,
  placeCopies,
  selectedInOrder,
  serializeForClipboard,
  updateMany,
  zOrderChanges,
  type ZOrderMove,
} from './editorCommands.js'
import { HelpDialog } from './HelpDialog.js'
import { styleAppliesTo, StylePanel, type StyleChange } from './StylePanel.js'
import { Toolbar } from './Toolbar.js'
import { TopBar } from './TopBar.js'
import { useEngineState } from './useEngine.js'
import { useElementSize } from './useElementSize.js'
import { ZoomControls } from './ZoomControls.js'

interface Props {
  canvas: CanvasSummary
  engine: SyncEngine
  onShare: (() => void) | undefined
  onRename: (name: string) => Promise<void>
}

export function Editor({ canvas, engine, onShare, onRename }: Props) {
  const objects = useEngineState(engine, (s) => s.objects)
  const status = useEngineState(engine, (s) => s.status)
  const saved = useEngineState(engine, (s) => s.saved)
  const pendingCount = useEngineState(engine, (s) => s.pendingCount)
  const me = useEngineState(engine, (s) => s.me)
  const users = useEngineState(engine, (s) => s.users)
  const canUndo = useEngineState(engine, (s) => s.canUndo)
  const canRedo = useEngineState(engine, (s) => s.canRedo)
  const lastError = useEngineState(engine, (s) => s.lastError)

  // The role from the socket's auth-success is current (it may have changed since the page loaded).
  const role = me?.role ?? canvas.role
  const canEdit = role !== 'viewer'

  const [tool, setToolState] = useState<Tool>('select')
  const [selectionIds, setSelectionIds] = useState<readonly string[]>([])
  const [viewport, setViewport] = useState<Viewport>(IDENTITY_VIEWPORT)
  const [style, setStyle] = useState<StyleDefaults>(INITIAL_STYLE)
  const [editingTextId, setEditingTextId] = useState<string | undefined>()
  const [helpOpen, setHelpOpen] = useState(false)
  const [spaceHeld, setSpaceHeld] = useState(false)
  const stageBox = useRef<HTMLDivElement>(null)
  const size = useElementSize(stageBox)

  const sorted = useMemo(() => sortByZ(objects.values()), [objects])
  // Objects deleted by someone else drop out of the selection by themselves.
  const selection = useMemo(
    () => new Set(selectionIds.filter((id) => objects.has(id))),
    [selectionIds, objects],
  )
  const selected = useMemo(() => selectedInOrder(sorted, selection), [sorted, selection])
  // The others see what I have selected; the engine sends only changes, throttled.
  useEffect(() => engine.select([...selection]), [engine, selection])
  const editingText = editingTextId === undefined ? undefined : objects.get(editingTextId)

  const setTool = useCallback((next: Tool) => {
    setToolState(next)
    if (next !== 'select') setSelectionIds([])
  }, [])

  const textStep = useRef<string | undefined>(undefined)
  const actions: StageActions = useMemo(
    () => ({
      setViewport: (update) => setViewport(update),
      select: (ids) => setSelectionIds(ids),
      create: (object) => {
        // A new text and its first words are one undo step, closed when editing ends.
        if (object.type === 'text' && textStep.current === undefined) {
          textStep.current = object.id
          engine.beginStep()
        }
        engine.create(object)
      },
      updateMany: (changes) => updateMany(engine, changes),
      // The engine throttles cursor messages itself, always sending the latest position.
      moveCursor: (at: Point) => engine.moveCursor(Math.round(at.x), Math.round(at.y)),
      editText: (id) => setEditingTextId(id),
      setTool,
    }),
    [engine, setTool],
  )

  // ---- view --------------------------------------------------------------------------------------

  const center = useCallback(() => ({ x: size.width / 2, y: size.height / 2 }), [size])
  const zoomBy = useCallback(
    (direction: 1 | -1) => setViewport((v) => zoomAt(v, center(), stepScale(v.scale, direction))),
    [center],
  )
  const zoomTo = useCallback((scale: number) => setViewport((v) => zoomAt(v, center(), scale)), [center])
  const zoomToFit = useCallback(() => {
    const bounds = unionBounds(sorted.map(objectBounds))
    if (!bounds || size.width === 0)
      return setViewport({ ...IDENTITY_VIEWPORT, x: size.width / 2, y: size.height / 2 })
    setViewport(fitBounds(bounds, size))
  }, [sorted, size])

  // Open on the drawing: fit once, when the first state arrives and the stage has a size.
  const fitted = useRef(false)
  useEffect(() => {
    if (fitted.current || size.width === 0 || (status !== 'online' && objects.size === 0)) return
    fitted.current = true
    zoomToFit()
  }, [status, objects, size, zoomToFit])

  // A viewer's role may be taken away mid-edit, and tools with it.
  useEffect(() => {
    if (!canEdit) {
      setToolState('select')
      setSelectionIds([])
      setEditingTextId(undefined)
    }
  }, [canEdit])

  useEffect(() => {
    document.title = `${canvas.name} · CollabCanvas`
  }, [canvas.name])

  // ---- commands ----------------------------------------------------------------------------------

  const applyStyle = useCallback(
    (change: StyleChange) => {
      if (selected.length === 0) return setStyle((s) => ({ ...s, ...change }))
      const changes: [string, ObjectChanges][] = []
      for (const o of selected) {
        const c: ObjectChanges = {}
        for (const key of Object.keys(change) as (keyof StyleDefaults)[]) {
          if (!styleAppliesTo(o.type, key)) continue
          if (key === 'fontSize' && change.fontSize !== undefined) {
            c.fontSize = clampFontSize(change.fontSize)
            c.height = measureTextHeight({ ...o, fontSize: c.fontSize }, o.text ?? '')
          } else if (key === 'fill' && change.fill !== undefined) c.fill = change.fill
          else if (key === 'stroke' && change.stroke !== undefined) {
            c.stroke = change.stroke
            if (o.type === 'arrow') c.fill = change.stroke // the arrowhead is filled with the line colour
          } else if (key === 'strokeWidth' && change.strokeWidth !== undefined)
            c.strokeWidth = change.strokeWidth
          else if (key === 'opacity' && change.opacity !== undefined) c.opacity = change.opacity
        }
        if (Object.keys(c).length > 0) changes.push([o.id, c])
      }
      updateMany(engine, changes)
    },
    [engine, selected],
  )

  const duplicate = useCallback(() => {
    if (selected.length === 0) return
    setSelectionIds(placeCopies(engine, sorted, selected, DUPLICATE_OFFSET))
  }, [engine, sorted, selected])

  const arrange = useCallback(
    (move: ZOrderMove) => updateMany(engine, zOrderChanges(sorted, selection, move)),
    [engine, sorted, selection],
  )

  const remove = useCallback(() => {
    deleteSelection(engine, selection)
    setSelectionIds([])
  }, [engine, selection])

  const finishTextEdit = useCallback(
    (object: CanvasObject, text: string) => {
      setEditingTextId(undefined)
      if (objects.has(object.id)) {
        if (text.trim() === '') engine.remove([object.id])
        else if (text !== object.text) engine.update(object.id, { text, ...fitText(object, text) })
      }
      if (textStep.current !== undefined) {
        textStep.current = undefined
        engine.endStep()
      }
    },
    [engine, objects],
  )

  // Someone else deleted the text being edited: stop editing, close its undo step.
  useEffect(() => {
    if (editingTextId === undefined || objects.has(editingTextId)) return
    setEditingTextId(undefined)
    if (textStep.current !== undefined) {
      textStep.current = undefined
      engine.endStep()
    }
  }, [engine, objects, editingTextId])

  // ---- keyboard and clipboard -------------------------------------------------------------------

  const keys = useRef({ canEdit, selected, selection, sorted, tool, helpOpen, editingTextId })
  keys.current = { canEdit, selected, selection, sorted, tool, helpOpen, editingTextId }
  const commands = useRef({ duplicate, arrange, remove, zoomBy, zoomTo, zoomToFit, setTool })
  commands.current = { duplicate, arrange, remove, zoomBy, zoomTo, zoomToFit, setTool }
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
        if (!e.repeat) setSpaceHeld(true)
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
            case 'a':
              if (k.canEdit) setSelectionIds(k.sorted.map((o) => o.id))
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
        setHelpOpen(true)
        return
      }
      if (e.shiftKey && e.code === 'Digit1') {
        e.preventDefault()
        c.zoomToFit()
        return
      }
      if (e.key === 'Escape') {
        setSelectionIds([])
        c.setTool('select')
        return
      }
      if (!k.canEdit) return
      if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault()
        c.remove()
        return
      }
      if (e.key === 'Enter' && k.selected.length === 1 && k.selected[0]?.type === 'text') {
        e.preventDefault()
        setEditingTextId(k.selected[0].id)
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
      if (e.key === ' ') setSpaceHeld(false)
    }
    const onBlur = () => setSpaceHeld(false)

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
      const copied = parseClipboard(e.clipboardData?.getData('text/plain') ?? '')
      if (!copied || copied.length === 0) return
      e.preventDefault()
      pasteCount.current += 1
      setSelectionIds(placeCopies(engine, k.sorted, copied, DUPLICATE_OFFSET * pasteCount.current))
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

  // Test hook outside production builds: read-only access to the engine's state.
  useEffect(() => {
    if (import.meta.env.MODE === 'production') return
    const hook = { snapshot: () => engine.getSnapshot() }
    Object.assign(window, { __collabcanvas: hook })
    return () => {
      if ((window as { __collabcanvas?: unknown }).__collabcanvas === hook)
        delete (window as { __collabcanvas?: unknown }).__collabcanvas
    }
  }, [engine])

  const stageCursor = spaceHeld
    ? 'grab'
    : tool === 'select'
      ? canEdit
        ? 'default'
        : 'grab'
      : tool === 'text'
        ? 'text'
        : 'crosshair'
  const grid = gridStyle(viewport)

  return (
    <div className={canEdit ? 'editor' : 'editor read-only'}>
      <TopBar
        canvasName={canvas.name}
        role={role}
        me={me}
        users={users}
        status={status}
        saved={saved}
        pendingCount={pendingCount}
        onShare={role === 'owner' ? onShare : undefined}
        onRename={canEdit ? onRename : undefined}
      />
      <Toolbar
        tool={tool}
        onTool={setTool}
        canEdit={canEdit}
        canUndo={canUndo}
        canRedo={canRedo}
        onUndo={() => engine.undo()}
        onRedo={() => engine.redo()}
        onHelp={() => setHelpOpen(true)}
      />
      <main className="canvas-area">
        <div
          ref={stageBox}
          className="stage-box"
          style={{ cursor: stageCursor, ...grid }}
          data-testid="canvas-stage"
          data-object-count={objects.size}
          data-selection-count={selection.size}
          data-tool={tool}
          data-zoom={viewport.scale.toFixed(3)}
          aria-label={`Canvas with ${objects.size} object${objects.size === 1 ? '' : 's'}`}
          role="application"
        >
          {size.width > 0 && (
            <CanvasStage
              width={size.width}
              height={size.height}
              objects={objects}
              sorted={sorted}
              selection={selection}
              tool={tool}
              canEdit={canEdit}
              panMode={spaceHeld}
              viewport={viewport}
              style={style}
              editingTextId={editingText ? editingTextId : undefined}
              actions={actions}
            />
          )}
          <RemoteSelections engine={engine} objects={objects} viewport={viewport} />
          <RemoteCursors engine={engine} viewport={viewport} myId={me?.userId} />
          {editingText && (
            <TextEditor
              key={editingText.id}
              object={editingText}
              viewport={viewport}
              onDone={(text) => finishTextEdit(editingText, text)}
            />
          )}
          {!canEdit && (
            <div className="view-only-hint" aria-hidden="true">
              You can view this canvas, pan and zoom. Ask the owner for edit access to make changes.
            </div>
          )}
          {(status === 'offline' || status === 'reconnecting' || status === 'closed') && (
            <div className="connection-banner" role="alert">
              {status === 'closed'
                ? 'Disconnected from the server. Reload the page to reconnect.'
                : 'You’re offline: changes are kept and sync when you reconnect.'}
              {status === 'offline' && (
                <button type="button" className="link-button" onClick={() => engine.reconnectNow()}>
                  Retry now
                </button>
              )}
            </div>
          )}
          <ErrorToast error={lastError} />
          <ZoomControls
            scale={viewport.scale}
            onZoomIn={() => zoomBy(1)}
            onZoomOut={() => zoomBy(-1)}
            onReset={() => zoomTo(1)}
            onFit={zoomToFit}
          />
        </div>
      </main>
      {canEdit && (
        <StylePanel
          selected={selected}
          defaults={style}
          onChange={applyStyle}
          onArrange={arrange}
          onDuplicate={duplicate}
          onDelete={remove}
        />
      )}
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
    </div>
  )
}

/** Other people's selections, outlined in their colour; re-renders on selection changes only. */
function RemoteSelections({
  engine,
  objects,
  viewport,
}: {
  engine: SyncEngine
  objects: ReadonlyMap<string, CanvasObject>
  viewport: Viewport
}) {
  const selections = useEngineState(engine, (s) => s.selections)
  const users = useEngineState(engine, (s) => s.users)
  const shown = useMemo(
    () =>
      [...selections].map(([userId, ids]) => ({
        userId,
        ids,
        color: users.find((u) => u.userId === userId)?.color ?? presenceColor(userId),
      })),
    [selections, users],
  )
  return <SelectionOverlay selections={shown} objects={objects} viewport={viewport} />
}

/** Only this re-renders on cursor traffic: 20 people moving must not re-render the editor. */
function RemoteCursors({
  engine,
  viewport,
  myId,
}: {
  engine: SyncEngine
  viewport: Viewport
  myId: string | undefined
}) {
  const cursors = useEngineState(engine, (s) => s.cursors)
  const others = useMemo(() => {
    if (myId === undefined || !cursors.has(myId)) return cursors
    const copy = new Map(cursors)
    copy.delete(myId)
    return copy
  }, [cursors, myId])
  return <CursorOverlay cursors={others} viewport={viewport} />
}

const TOAST_MS = 5_000

function ErrorToast({ error }: { error: { code: string; message: string } | undefined }) {
  const [shown, setShown] = useState(error)
  useEffect(() => {
    setShown(error)
    if (!error) return
    const timer = setTimeout(() => setShown(undefined), TOAST_MS)
    return () => clearTimeout(timer)
  }, [error])
  if (!shown) return null
  return (
    <div className="toast" role="alert" data-testid="error-toast" data-code={shown.code}>
      {toastText(shown)}
    </div>
  )
}

function toastText(error: { code: string; message: string }): string {
  switch (error.code) {
    case 'forbidden':
      return 'You can’t edit this canvas.'
    case 'rate_limited':
      return 'Slow down: too many changes at once.'
    case 'limit_exceeded':
      return 'This canvas is full (10,000 objects).'
    case 'storage_full':
    case 'storage_unavailable':
      return 'The server could not save that change. Try again in a moment.'
    default:
      return error.message.charAt(0).toUpperCase() + error.message.slice(1)
  }
}

/** A dot grid that moves and scales with the view; coarser when zoomed far out. */
function gridStyle(v: Viewport): { backgroundSize: string; backgroundPosition: string } {
  let step = 24 * v.scale
  while (step < 12) step *= 4
  return { backgroundSize: `${step}px ${step}px`, backgroundPosition: `${v.x}px ${v.y}px` }
}

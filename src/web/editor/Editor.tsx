import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { AiPreview } from '../../protocol/aiHttpTypes.js'
import type { CanvasSummary } from '../../protocol/httpTypes.js'
import type { CanvasObject } from '../../protocol/objects.js'
import { CanvasStage, type StageActions } from '../canvas/CanvasStage.js'
import { followConnectors } from '../canvas/connectors.js'
import type { PreviewSource } from '../canvas/remotePreviews.js'
import { objectBounds, sortByZ, unionBounds } from '../canvas/geometry.js'
import { adoptOnCreate, frameAround, withFrameChildren, withFrameFollowUps } from '../canvas/frames.js'
import { fitText } from '../canvas/measureText.js'
import { textAt, maxZ, typesOnCreate } from '../canvas/objectFactory.js'
import { TextEditor, textTooLong } from '../canvas/TextEditor.js'
import { INITIAL_STYLE, type StyleDefaults, type Tool } from '../canvas/tools.js'
import {
  fitBounds,
  IDENTITY_VIEWPORT,
  screenToWorld,
  stepScale,
  zoomAt,
  type Point,
  type Viewport,
} from '../canvas/viewport.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import {
  deleteSelection,
  DUPLICATE_OFFSET,
  placeCopies,
  selectedInOrder,
  styleChanges,
  updateMany,
  zOrderChanges,
  type ZOrderMove,
} from './editorCommands.js'
import { AiCommandBox } from './ai/AiCommandBox.js'
import { previewView } from './ai/previewView.js'
import { AlignSection } from './AlignSection.js'
import { ContextMenu } from './ContextMenu.js'
import { copyAsImage } from './copyImage.js'
import { shapeStyleChanges, type ShapeStyleChange } from './shapeStyle.js'
import { ErrorToast } from './ErrorToast.js'
import { ExportDialog } from './ExportDialog.js'
import { expandToGroups, groupSelection, ungroupSelection, withEmptiedGroups } from './grouping.js'
import { HelpDialog } from './HelpDialog.js'
import { LayersPanel } from './LayersPanel.js'
import { isLocked } from './locking.js'
import { RemoteCursors, RemoteSelections } from './RemotePresence.js'
import { StylePanel, type StyleChange } from './StylePanel.js'
import { Toolbar } from './Toolbar.js'
import { TopBar } from './TopBar.js'
import { useEditorKeys } from './useEditorKeys.js'
import { FollowingBanner } from './FollowingBanner.js'
import { useFollow } from './useFollow.js'
import { Minimap } from './Minimap.js'
import { MobileActionBar } from './MobileActionBar.js'
import { CANVAS_COLORS } from '../theme/theme.js'
import { ThemeToggle } from '../theme/ThemeToggle.js'
import { useTheme } from '../theme/useTheme.js'
import { visibleRect } from '../canvas/viewRect.js'
import { useStructureTools } from './useStructureTools.js'
import { ViewToggles } from './ViewToggles.js'
import { useEngineState } from './useEngine.js'
import { useElementSize } from './useElementSize.js'
import { ZoomControls } from './ZoomControls.js'
import { ImageCanvasContext } from '../canvas/imageUrlContext.js'
import { ImageUploads } from './images/ImageUploads.js'
import { imageFilesOf } from './images/placeImage.js'
import { useImageInsert } from './images/useImageInsert.js'
import { imageDataUrls } from './images/exportImages.js'

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
  const previews: PreviewSource = useMemo(
    () => ({ subscribe: engine.subscribe, get: () => engine.getSnapshot().previews }),
    [engine],
  )

  // The role from the socket's auth-success is current (it may have changed since the page loaded).
  const role = me?.role ?? canvas.role
  const canEdit = role !== 'viewer'

  const [tool, setToolState] = useState<Tool>('select')
  const [selectionIds, setSelectionIds] = useState<readonly string[]>([])
  const [viewport, setViewport] = useState<Viewport>(IDENTITY_VIEWPORT)
  const [style, setStyle] = useState<StyleDefaults>(INITIAL_STYLE)
  const [editingTextId, setEditingTextId] = useState<string | undefined>()
  /** Pasted words the editor opens with, when they were too long to become a text at once. */
  const [pastedText, setPastedText] = useState<string | undefined>()
  const [helpOpen, setHelpOpen] = useState(false)
  const [exportOpen, setExportOpen] = useState(false)
  /** What Shift+Ctrl/Cmd+C did: copied, or why not [ED-E3]. */
  const [copyNotice, setCopyNotice] = useState<{ code: string; message: string } | undefined>()
  const [spaceHeld, setSpaceHeld] = useState(false)
  const stageBox = useRef<HTMLDivElement>(null)
  const theme = useTheme()
  const size = useElementSize(stageBox)
  // Following someone's view: any pan or zoom of mine (below) stops it.
  const follow = useFollow(engine, size, setViewport)
  const stopFollowing = follow.stop
  // Others can follow what I see: sent throttled, like the cursor [PROTO19].
  useEffect(() => {
    if (size.width > 0 && size.height > 0) engine.moveViewport(visibleRect(viewport, size))
  }, [engine, viewport, size])

  // An AI edit being previewed shows on the canvas until accepted or rejected [AI review].
  const [aiPreview, setAiPreview] = useState<AiPreview | undefined>()
  const shown = useMemo(() => (aiPreview ? previewView(objects, aiPreview) : objects), [objects, aiPreview])
  const sorted = useMemo(() => sortByZ(shown.values()), [shown])
  // Objects deleted or locked by someone else drop out of the selection by themselves [ED-S3].
  const selection = useMemo(
    () => new Set(selectionIds.filter((id) => objects.has(id) && !isLocked(objects.get(id)))),
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
  const latestObjects = useRef(objects)
  latestObjects.current = objects
  const latestSorted = useRef(sorted)
  latestSorted.current = sorted
  const actions: StageActions = useMemo(
    () => ({
      setViewport: (update) => {
        stopFollowing()
        setViewport(update)
      },
      select: (ids) => setSelectionIds(ids),
      expand: (ids) => expandToGroups(latestObjects.current, ids),
      create: (object) => {
        // A new text or sticky note and its first words are one undo step, closed when editing ends.
        if (typesOnCreate(object) && textStep.current === undefined) {
          textStep.current = object.id
          engine.beginStep()
        }
        // A frame adopts what it is drawn around; a shape drawn in a frame joins it [ED-S4].
        if (object.type !== 'frame') return engine.create(adoptOnCreate(latestSorted.current, object))
        const made = frameAround(latestSorted.current, object)
        engine.transact(() => {
          engine.create(made.frame)
          for (const [id, c] of made.changes) engine.update(id, c)
        })
      },
      // Frames carry their children, shapes join and leave frames, connectors follow, all in the
      // same step [ED-S4, ED-C1].
      updateMany: (changes) => {
        const all = withFrameFollowUps(latestObjects.current, latestSorted.current, changes)
        updateMany(engine, [...all, ...followConnectors(latestObjects.current, all)])
      },
      // The engine throttles cursor messages itself, always sending the latest position.
      moveCursor: (at: Point) => engine.moveCursor(Math.round(at.x), Math.round(at.y)),
      editText: (id) => setEditingTextId(id),
      setTool,
      preview: (objects) => engine.preview(objects),
      endPreview: () => engine.endPreview(),
    }),
    [engine, setTool, stopFollowing],
  )

  // ---- view --------------------------------------------------------------------------------------

  const center = useCallback(() => ({ x: size.width / 2, y: size.height / 2 }), [size])
  const zoomBy = useCallback(
    (direction: 1 | -1) => {
      stopFollowing()
      setViewport((v) => zoomAt(v, center(), stepScale(v.scale, direction)))
    },
    [center, stopFollowing],
  )
  const zoomTo = useCallback(
    (scale: number) => {
      stopFollowing()
      setViewport((v) => zoomAt(v, center(), scale))
    },
    [center, stopFollowing],
  )
  const zoomToFit = useCallback(() => {
    stopFollowing()
    // Groups are names, not shapes: their stored box may be stale.
    const bounds = unionBounds(sorted.filter((o) => o.type !== 'group').map(objectBounds))
    if (!bounds || size.width === 0)
      return setViewport({ ...IDENTITY_VIEWPORT, x: size.width / 2, y: size.height / 2 })
    setViewport(fitBounds(bounds, size))
  }, [sorted, size, stopFollowing])

  /** Shift+2: the selection framed, as zoom to fit frames everything. */
  const zoomToSelection = useCallback(() => {
    const bounds = unionBounds(selected.filter((o) => o.type !== 'group').map(objectBounds))
    if (!bounds || size.width === 0) return
    stopFollowing()
    setViewport(fitBounds(bounds, size))
  }, [selected, size, stopFollowing])
  /** The minimap's press: the view's centre goes there, the zoom stays. */
  const centerOn = useCallback(
    (world: Point) => {
      stopFollowing()
      setViewport((v) => ({
        ...v,
        x: size.width / 2 - world.x * v.scale,
        y: size.height / 2 - world.y * v.scale,
      }))
    },
    [size, stopFollowing],
  )

  // Open on the drawing: fit once, when the first state arrives and the stage has a size.
  const fitted = useRef(false)
  useEffect(() => {
    if (fitted.current || size.width === 0 || (status !== 'online' && objects.size === 0)) return
    fitted.current = true
    zoomToFit()
  }, [status, objects, size, zoomToFit])

  // The owner may make an editor a viewer mid-edit (role-changed): tools go, and a text being
  // typed closes its undo step, which would otherwise swallow every later edit.
  useEffect(() => {
    if (canEdit) return
    setToolState('select')
    setSelectionIds([])
    setEditingTextId(undefined)
    if (textStep.current !== undefined) {
      textStep.current = undefined
      engine.endStep()
    }
  }, [canEdit, engine])

  useEffect(() => {
    document.title = `${canvas.name} · CollabCanvas`
  }, [canvas.name])

  // ---- commands ----------------------------------------------------------------------------------

  const applyStyle = useCallback(
    (change: StyleChange) => {
      if (selected.length === 0) return setStyle((s) => ({ ...s, ...change }))
      updateMany(engine, styleChanges(selected, change))
    },
    [engine, selected],
  )

  const applyShapeStyle = useCallback(
    (change: ShapeStyleChange) => updateMany(engine, shapeStyleChanges(selected, change, fitText)),
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
    // A group whose shapes all go goes with them; a frame takes its unlocked children [ED-S4].
    deleteSelection(engine, new Set(withEmptiedGroups(objects, withFrameChildren(objects, [...selection]))))
    setSelectionIds([])
  }, [engine, selection, objects])

  const group = useCallback(() => {
    const grouped = groupSelection(objects, selected)
    if (!grouped) return
    engine.transact(() => {
      engine.create(grouped.group)
      for (const [id, c] of grouped.changes) engine.update(id, c)
    })
  }, [engine, objects, selected])

  /** Pasted plain text becomes a text at the middle of the view [ED-T2]. */
  const pasteText = useCallback(
    (text: string) => {
      const middle = screenToWorld(viewport, center())
      const object = textAt(middle, style, maxZ(sorted) + 1)
      if (textTooLong(text) === undefined) {
        engine.create({
          ...object,
          text,
          ...fitText({ ...object, createdBy: '', updatedAt: '', version: 0 }, text),
        })
        setTool('select')
        setSelectionIds([object.id])
        return
      }
      // Too long to save: an editor opens with the words and says how many to remove [ED-D2].
      textStep.current = object.id
      engine.beginStep()
      engine.create(object)
      setTool('select')
      setSelectionIds([object.id])
      setPastedText(text)
      setEditingTextId(object.id)
    },
    [engine, viewport, center, style, sorted, setTool],
  )

  const ungroup = useCallback(() => {
    const { changes, deleted } = ungroupSelection(objects, selected)
    if (deleted.length === 0) return
    engine.transact(() => {
      for (const [id, c] of changes) engine.update(id, c)
      engine.remove(deleted)
    })
  }, [engine, objects, selected])

  const finishTextEdit = useCallback(
    (object: CanvasObject, text: string) => {
      setEditingTextId(undefined)
      if (objects.has(object.id)) {
        // A shape keeps its box whatever its words; an empty text box is no object at all.
        if (object.type !== 'text') {
          if (text !== (object.text ?? '')) engine.update(object.id, { text: text.trim() === '' ? '' : text })
        } else if (text.trim() === '') engine.remove([object.id])
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

  // Images pasted, dropped or chosen with the toolbar's button (docs/editor.md "Images").
  const images = useImageInsert({
    canvasId: canvas.id,
    viewport,
    size,
    nextZ: () => maxZ(sorted) + 1,
    create: (object) => engine.create(object),
    placed: (id) => {
      setTool('select')
      setSelectionIds([id])
    },
  })
  const pasteImages = images.insertFiles

  // ---- keyboard and clipboard -------------------------------------------------------------------

  const copyImage = useCallback(() => {
    void copyAsImage(selected, sorted, (objs) => imageDataUrls(canvas.id, objs)).then((r) =>
      setCopyNotice(
        r.ok
          ? { code: 'image-copied', message: 'Copied as an image.' }
          : { code: 'image-not-copied', message: r.message },
      ),
    )
  }, [selected, sorted, canvas.id])

  useEditorKeys(engine, {
    state: { canEdit, selected, selection, sorted, tool, helpOpen, editingTextId },
    commands: {
      duplicate,
      arrange,
      remove,
      group,
      ungroup,
      pasteText,
      pasteImages,
      copyImage,
      zoomBy,
      zoomTo,
      zoomToFit,
      zoomToSelection,
      setTool,
    },
    setSelectionIds,
    setEditingTextId,
    setSpaceHeld,
    setHelpOpen,
  })

  const structure = useStructureTools(engine, {
    objects,
    sorted,
    selected,
    selection,
    canEdit,
    viewport,
    stageBox,
    setSelectionIds,
    commands: { duplicate, remove, group, ungroup, arrange },
  })

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

  const aiContext = useCallback(() => {
    const topLeft = screenToWorld(viewport, { x: 0, y: 0 })
    const width = Math.max(1, size.width / viewport.scale)
    const height = Math.max(1, size.height / viewport.scale)
    return { selection: [...selection], viewport: { ...topLeft, width, height } }
  }, [viewport, size, selection])
  const aiMade = useCallback(
    (ids: readonly string[], frames: readonly string[]) => {
      engine.recordMade(ids)
      setTool('select')
      setSelectionIds(frames)
    },
    [engine, setTool],
  )
  const aiAccept = useCallback((preview: AiPreview) => engine.applyPreview(preview), [engine])

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
  const followedUser = users.find((u) => u.userId === follow.following)

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
        following={follow.following}
        onFollow={follow.follow}
      >
        <ThemeToggle theme={theme.theme} onToggle={theme.toggle} />
      </TopBar>
      <Toolbar
        tool={tool}
        onTool={setTool}
        canEdit={canEdit}
        canUndo={canUndo}
        canRedo={canRedo}
        onUndo={() => engine.undo()}
        onRedo={() => engine.redo()}
        onHelp={() => setHelpOpen(true)}
        onInsertImages={(files) => images.insertFiles(files)}
      />
      <main className="canvas-area">
        <div
          ref={stageBox}
          className={structure.snapping.grid ? 'stage-box grid-on' : 'stage-box'}
          onContextMenu={structure.onContextMenu}
          style={{ cursor: stageCursor, ...grid }}
          data-testid="canvas-stage"
          data-object-count={objects.size}
          data-selection-count={selection.size}
          data-tool={tool}
          data-zoom={viewport.scale.toFixed(3)}
          aria-label={`Canvas with ${objects.size} object${objects.size === 1 ? '' : 's'}`}
          role="application"
          onDragOver={(e) => {
            if (canEdit && e.dataTransfer.types.includes('Files')) e.preventDefault()
          }}
          onDrop={(e) => {
            const files = imageFilesOf(e.dataTransfer.files)
            if (!canEdit || files.length === 0) return
            e.preventDefault()
            const box = e.currentTarget.getBoundingClientRect()
            images.insertFiles(files, { x: e.clientX - box.left, y: e.clientY - box.top })
          }}
        >
          {size.width > 0 && (
            <ImageCanvasContext value={canvas.id}>
              <CanvasStage
                width={size.width}
                height={size.height}
                objects={shown}
                sorted={sorted}
                selection={selection}
                tool={tool}
                canEdit={canEdit}
                panMode={spaceHeld}
                viewport={viewport}
                style={style}
                editingTextId={editingText ? editingTextId : undefined}
                previews={previews}
                actions={actions}
                snapping={structure.snapping}
                colors={CANVAS_COLORS[theme.theme]}
              />
            </ImageCanvasContext>
          )}
          <ImageUploads uploads={images.uploads} error={images.error} onDismissError={images.dismissError} />
          <RemoteSelections engine={engine} objects={objects} viewport={viewport} />
          <RemoteCursors engine={engine} viewport={viewport} myId={me?.userId} />
          {followedUser && <FollowingBanner user={followedUser} onStop={follow.stop} />}
          {editingText && (
            <TextEditor
              key={editingText.id}
              object={editingText}
              viewport={viewport}
              initialText={pastedText}
              onDone={(text) => {
                setPastedText(undefined)
                finishTextEdit(editingText, text)
              }}
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
          <ErrorToast error={structure.clipboardError} />
          {structure.menu && (
            <ContextMenu at={structure.menu.at} items={structure.menu.items} onClose={structure.closeMenu} />
          )}
          <ViewToggles
            layersOpen={structure.layersOpen}
            onLayers={structure.setLayersOpen}
            snapping={structure.snapping}
            onSnapping={structure.setSnapping}
          />
          {structure.layersOpen && (
            <LayersPanel
              sorted={sorted}
              selection={selection}
              canEdit={canEdit}
              onSelect={structure.selectLayer}
              onRename={structure.rename}
              onSetLocked={(o, locked) => structure.setLocked([o], locked)}
              onArrange={arrange}
              onClose={() => structure.setLayersOpen(false)}
            />
          )}
          <ErrorToast error={copyNotice} />
          <AiCommandBox
            canvasId={canvas.id}
            canEdit={canEdit}
            context={aiContext}
            onMade={aiMade}
            preview={aiPreview}
            onPreview={setAiPreview}
            onAccept={aiAccept}
          />
          <button
            type="button"
            className="button export-button"
            data-testid="export-button"
            onClick={() => setExportOpen(true)}
          >
            Export
          </button>
          <Minimap sorted={sorted} viewport={viewport} stageSize={size} onCenter={centerOn} />
          {canEdit && (
            <MobileActionBar
              selected={selected}
              onChange={applyStyle}
              onDuplicate={duplicate}
              onDelete={remove}
            />
          )}
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
          onShapeStyle={applyShapeStyle}
          onArrange={arrange}
          onDuplicate={duplicate}
          onDelete={remove}
        >
          <AlignSection
            units={structure.units}
            onAlign={structure.align}
            onDistribute={structure.distribute}
          />
        </StylePanel>
      )}
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
      <ExportDialog
        canvasId={canvas.id}
        open={exportOpen}
        onClose={() => setExportOpen(false)}
        canvasName={canvas.name}
        sorted={sorted}
        selected={selected}
      />
    </div>
  )
}

/** A dot grid that moves and scales with the view; coarser when zoomed far out. */
function gridStyle(v: Viewport): { backgroundSize: string; backgroundPosition: string } {
  let step = 24 * v.scale
  while (step < 12) step *= 4
  return { backgroundSize: `${step}px ${step}px`, backgroundPosition: `${v.x}px ${v.y}px` }
}

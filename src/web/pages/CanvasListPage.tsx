import { useCallback, useEffect, useState } from 'react'
import type { CanvasListItem, CanvasSummary } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import { Link } from '../app/Link.js'
import { navigate, signInPathFor } from '../app/router.js'
import { useSession } from '../app/session.js'
import { AppHeader } from './AppHeader.js'
import { CanvasThumbnail } from './CanvasThumbnail.js'
import { matchesSearch } from './canvasSearch.js'
import { DeleteCanvasDialog, NameCanvasDialog } from './canvasDialogs.js'
import { relativeTime } from './relativeTime.js'
import { InvitationsPanel } from './InvitationsPanel.js'
import { ShareDialog } from './ShareDialog.js'

type Listing =
  { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'ready'; canvases: CanvasListItem[] }
type OpenDialog =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'rename'; canvas: CanvasSummary }
  | { kind: 'share'; canvas: CanvasSummary }
  | { kind: 'delete'; canvas: CanvasSummary }

const ROLE_LABEL = { owner: 'Owner', editor: 'Can edit', viewer: 'Can view' } as const

export function CanvasListPage() {
  const { user } = useSession()
  const [listing, setListing] = useState<Listing>({ kind: 'loading' })
  const [dialog, setDialog] = useState<OpenDialog>({ kind: 'none' })
  const [search, setSearch] = useState('')
  const [duplicateError, setDuplicateError] = useState<string | undefined>()
  const close = useCallback(() => setDialog({ kind: 'none' }), [])

  const load = useCallback(async () => {
    try {
      const { canvases } = await api.listCanvases()
      // The server lists them last edited first [LIST3].
      setListing({ kind: 'ready', canvases })
    } catch (err) {
      if (err instanceof ApiError && err.status === 401)
        return navigate(signInPathFor('/'), { replace: true })
      setListing({ kind: 'failed', message: describeError(err) })
    }
  }, [])

  useEffect(() => {
    document.title = 'My canvases · CollabCanvas'
    void load()
  }, [load])

  const replace = (canvas: CanvasSummary) =>
    setListing((l) =>
      l.kind === 'ready'
        ? { kind: 'ready', canvases: l.canvases.map((c) => (c.id === canvas.id ? { ...c, ...canvas } : c)) }
        : l,
    )
  const removeFromList = (id: string) =>
    setListing((l) =>
      l.kind === 'ready' ? { kind: 'ready', canvases: l.canvases.filter((c) => c.id !== id) } : l,
    )

  const duplicate = async (canvas: CanvasListItem) => {
    setDuplicateError(undefined)
    try {
      const { canvas: copy } = await api.duplicateCanvas(canvas.id)
      setListing((l) => (l.kind === 'ready' ? { kind: 'ready', canvases: [copy, ...l.canvases] } : l))
    } catch (err) {
      setDuplicateError(`Could not duplicate “${canvas.name}”: ${describeError(err)}`)
    }
  }
  const shown = listing.kind === 'ready' ? listing.canvases.filter((c) => matchesSearch(c.name, search)) : []

  return (
    <div className="page">
      <AppHeader />
      <main className="canvas-list-page">
        <div className="page-title-row">
          <div>
            <h1>My canvases</h1>
            <p className="muted">Hi {user.username}: canvases you own and canvases shared with you.</p>
          </div>
          <button type="button" className="button primary" onClick={() => setDialog({ kind: 'create' })}>
            <PlusIcon /> New canvas
          </button>
        </div>

        <InvitationsPanel onAccepted={() => void load()} />

        {listing.kind === 'ready' && listing.canvases.length > 0 && (
          <div className="field canvas-search">
            <input
              type="search"
              placeholder="Search canvases"
              aria-label="Search canvases"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </div>
        )}
        {duplicateError && (
          <div className="form-error" role="alert">
            {duplicateError}
          </div>
        )}
        {listing.kind === 'ready' && listing.canvases.length > 0 && shown.length === 0 && (
          <p className="muted" data-testid="canvas-search-empty">
            No canvas matches “{search}”.
          </p>
        )}

        {listing.kind === 'loading' && (
          <p className="muted" aria-busy="true">
            Loading your canvases…
          </p>
        )}
        {listing.kind === 'failed' && (
          <div className="form-error" role="alert">
            {listing.message}{' '}
            <button type="button" className="link-button" onClick={() => void load()}>
              Try again
            </button>
          </div>
        )}
        {listing.kind === 'ready' && listing.canvases.length === 0 && (
          <div className="empty-state" data-testid="canvas-list-empty">
            <div className="empty-illustration" aria-hidden="true" />
            <h2>No canvases yet</h2>
            <p className="muted">Create a canvas, then share it to draw together in real time.</p>
            <button type="button" className="button primary" onClick={() => setDialog({ kind: 'create' })}>
              Create your first canvas
            </button>
          </div>
        )}
        {shown.length > 0 && (
          <ul className="canvas-grid" data-testid="canvas-list" aria-label="Canvases">
            {shown.map((canvas) => (
              <li
                key={canvas.id}
                className="canvas-card"
                data-testid="canvas-card"
                data-canvas-id={canvas.id}
              >
                <Link href={`/canvas/${canvas.id}`} className="canvas-card-link">
                  <CanvasThumbnail canvasId={canvas.id} seq={canvas.seq} />
                  <span className="canvas-card-name">{canvas.name}</span>
                </Link>
                <div className="canvas-card-meta">
                  <span className={`role-badge role-${canvas.role}`}>{ROLE_LABEL[canvas.role]}</span>
                  <span className="muted small" title={canvas.editedAt}>
                    Edited {relativeTime(canvas.editedAt)}
                  </span>
                </div>
                <div className="canvas-card-actions">
                  {canvas.role !== 'viewer' && (
                    <button
                      type="button"
                      className="button ghost small"
                      aria-label={`Rename ${canvas.name}`}
                      onClick={() => setDialog({ kind: 'rename', canvas })}
                    >
                      Rename
                    </button>
                  )}
                  <button
                    type="button"
                    className="button ghost small"
                    aria-label={`Duplicate ${canvas.name}`}
                    onClick={() => void duplicate(canvas)}
                  >
                    Duplicate
                  </button>
                  {canvas.role === 'owner' && (
                    <button
                      type="button"
                      className="button ghost small"
                      aria-label={`Share ${canvas.name}`}
                      onClick={() => setDialog({ kind: 'share', canvas })}
                    >
                      Share
                    </button>
                  )}
                  {canvas.role === 'owner' && (
                    <button
                      type="button"
                      className="button ghost small danger"
                      aria-label={`Delete ${canvas.name}`}
                      onClick={() => setDialog({ kind: 'delete', canvas })}
                    >
                      Delete
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </main>

      <NameCanvasDialog
        open={dialog.kind === 'create'}
        title="New canvas"
        submitLabel="Create canvas"
        initialName="Untitled canvas"
        onClose={close}
        onSubmit={async (name) => {
          const { canvas } = await api.createCanvas(name)
          navigate(`/canvas/${canvas.id}`)
        }}
      />
      <NameCanvasDialog
        open={dialog.kind === 'rename'}
        title="Rename canvas"
        submitLabel="Rename"
        initialName={dialog.kind === 'rename' ? dialog.canvas.name : ''}
        onClose={close}
        onSubmit={async (name) => {
          if (dialog.kind !== 'rename') return
          const { canvas } = await api.renameCanvas(dialog.canvas.id, name)
          replace(canvas)
          close()
        }}
      />
      <ShareDialog canvas={dialog.kind === 'share' ? dialog.canvas : undefined} onClose={close} />
      <DeleteCanvasDialog
        canvas={dialog.kind === 'delete' ? dialog.canvas : undefined}
        onClose={close}
        onDeleted={(id) => {
          removeFromList(id)
          close()
        }}
      />
    </div>
  )
}

export function PlusIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
      <path d="M12 5v14M5 12h14" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  )
}

import { useCallback, useEffect, useState } from 'react'
import { CLOSE_CODES } from '../../protocol/closeCodes.js'
import type { CanvasSummary } from '../../protocol/httpTypes.js'
import { api, ApiError, describeError } from '../app/apiClient.js'
import { Link } from '../app/Link.js'
import { navigate, signInPathFor } from '../app/router.js'
import { useSession } from '../app/session.js'
import { Editor } from '../editor/Editor.js'
import { useEngineState, useSyncEngine } from '../editor/useEngine.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import { CanvasDeletedPage, NoAccessPage, NotFoundPage } from './NotFoundPage.js'
import { ShareDialog } from './ShareDialog.js'

type Loaded =
  | { kind: 'loading' }
  | { kind: 'ready'; canvas: CanvasSummary }
  | { kind: 'not-found' }
  | { kind: 'failed'; message: string }

/** /canvas/:id: the canvas's name and the caller's role over HTTP, then the live editor. */
export function EditorPage({ canvasId }: { canvasId: string }) {
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' })

  useEffect(() => {
    let cancelled = false
    api.getCanvas(canvasId).then(
      ({ canvas }) => !cancelled && setLoaded({ kind: 'ready', canvas }),
      (err: unknown) => {
        if (cancelled) return
        if (err instanceof ApiError && err.status === 401)
          return navigate(signInPathFor(`/canvas/${canvasId}`), { replace: true })
        // 404 covers "missing" and "not shared with you" alike: the API does not tell them apart.
        if (err instanceof ApiError && err.status === 404) return setLoaded({ kind: 'not-found' })
        setLoaded({ kind: 'failed', message: describeError(err) })
      },
    )
    return () => {
      cancelled = true
    }
  }, [canvasId])

  switch (loaded.kind) {
    case 'loading':
      return <div className="splash" aria-busy="true" aria-label="Opening canvas" />
    case 'not-found':
      return <CanvasNotFound />
    case 'failed':
      return (
        <main className="message-page">
          <h1>Could not open this canvas</h1>
          <p className="muted">{loaded.message}</p>
          <button type="button" className="button primary" onClick={() => location.reload()}>
            Try again
          </button>
          <Link href="/">Back to my canvases</Link>
        </main>
      )
    case 'ready':
      return <LiveEditor canvas={loaded.canvas} />
  }
}

function CanvasNotFound() {
  return (
    <NotFoundPage
      signedIn
      title="Canvas not found"
      message="This canvas does not exist, was deleted, or is not shared with you."
    />
  )
}

function LiveEditor({ canvas }: { canvas: CanvasSummary }) {
  const { user } = useSession()
  const engine = useSyncEngine(canvas.id, user.id)
  if (!engine) return <div className="splash" aria-busy="true" aria-label="Connecting" />
  return <ConnectedEditor canvas={canvas} engine={engine} />
}

function ConnectedEditor({ canvas: loaded, engine }: { canvas: CanvasSummary; engine: SyncEngine }) {
  const closeReason = useEngineState(engine, (s) => s.closeReason)
  const pushed = useEngineState(engine, (s) => s.canvas)
  const [sharing, setSharing] = useState(false)
  const [canvas, setCanvas] = useState(loaded)
  const rename = useCallback(
    async (name: string) => setCanvas((await api.renameCanvas(canvas.id, name)).canvas),
    [canvas.id],
  )

  // A rename made elsewhere (another tab, another member) reaches this page live; a pushed name
  // older than the one we hold (our own rename's answer came first) is left alone.
  useEffect(() => {
    if (pushed === undefined) return
    setCanvas((c) =>
      pushed.id !== c.id || pushed.updatedAt < c.updatedAt
        ? c
        : { ...c, name: pushed.name, updatedAt: pushed.updatedAt },
    )
  }, [pushed])

  // Close codes the engine does not retry (docs/protocol.md "Errors and close codes").
  useEffect(() => {
    if (closeReason?.code === CLOSE_CODES.unauthorized)
      navigate(signInPathFor(`/canvas/${canvas.id}`), { replace: true })
  }, [closeReason, canvas.id])
  const closedWith = closeReason?.code
  if (closedWith === CLOSE_CODES.forbidden) return <NoAccessPage canvasName={canvas.name} />
  if (closedWith === CLOSE_CODES.notFound) return <CanvasNotFound />
  if (closedWith === CLOSE_CODES.canvasDeleted) return <CanvasDeletedPage canvasName={canvas.name} />

  return (
    <>
      <Editor canvas={canvas} engine={engine} onShare={() => setSharing(true)} onRename={rename} />
      <ShareDialog canvas={sharing ? canvas : undefined} onClose={() => setSharing(false)} />
    </>
  )
}

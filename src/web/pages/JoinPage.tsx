import { useEffect, useState } from 'react'
import { api, ApiError, describeError } from '../app/apiClient.js'
import { Link } from '../app/Link.js'
import { navigate } from '../app/router.js'
import { AppHeader } from './AppHeader.js'

/** `/join/:token`: redeems a share link for the signed-in user and opens the canvas. */
export function JoinPage({ token }: { token: string }) {
  const [failure, setFailure] = useState<string | undefined>()

  useEffect(() => {
    document.title = 'Joining… · CollabCanvas'
    let cancelled = false
    api.joinWithLink(token).then(
      ({ canvas }) => !cancelled && navigate(`/canvas/${canvas.id}`, { replace: true }),
      (err: unknown) => {
        if (cancelled) return
        setFailure(
          err instanceof ApiError && err.code === 'not_found'
            ? 'This share link no longer works: the owner revoked it, or it expired. Ask them for a new one.'
            : describeError(err),
        )
      },
    )
    return () => {
      cancelled = true
    }
  }, [token])

  return (
    <div className="page">
      <AppHeader />
      <main className="canvas-list-page">
        {failure === undefined ? (
          <p className="muted" aria-busy="true">
            Joining the canvas…
          </p>
        ) : (
          <div className="empty-state" data-testid="join-failed">
            <h2>Cannot join this canvas</h2>
            <p className="muted" role="alert">
              {failure}
            </p>
            <Link href="/" className="button primary">
              Go to my canvases
            </Link>
          </div>
        )}
      </main>
    </div>
  )
}

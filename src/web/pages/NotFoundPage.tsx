import { Link } from '../app/Link.js'
import { Logo } from './Logo.js'

interface Props {
  signedIn: boolean
  title?: string
  message?: string
}

/** A page, or a canvas that does not exist or is not shared with the caller (the API cannot tell). */
export function NotFoundPage({
  signedIn,
  title = 'Page not found',
  message = 'The page you are looking for does not exist or has moved.',
}: Props) {
  return (
    <main className="message-page" data-testid="not-found">
      <Logo />
      <p className="message-code" aria-hidden="true">
        404
      </p>
      <h1>{title}</h1>
      <p className="muted">{message}</p>
      <Link className="button primary" href={signedIn ? '/' : '/signin'}>
        {signedIn ? 'Back to my canvases' : 'Sign in'}
      </Link>
    </main>
  )
}

/** Access to a canvas was refused or removed (WebSocket close 4403). */
export function NoAccessPage({ canvasName }: { canvasName?: string | undefined }) {
  return (
    <main className="message-page" data-testid="no-access">
      <Logo />
      <div className="message-icon" aria-hidden="true">
        <svg viewBox="0 0 24 24" width="40" height="40" fill="none" stroke="currentColor" strokeWidth="1.75">
          <rect x="5" y="11" width="14" height="10" rx="2" />
          <path d="M8 11V7a4 4 0 0 1 8 0v4" />
        </svg>
      </div>
      <h1>You don’t have access to this canvas</h1>
      <p className="muted">
        {canvasName ? `“${canvasName}” is` : 'This canvas is'} no longer shared with you. Ask its owner to
        share it again.
      </p>
      <Link className="button primary" href="/">
        Back to my canvases
      </Link>
    </main>
  )
}

/** The canvas was deleted while it was open (WebSocket close 4410). */
export function CanvasDeletedPage({ canvasName }: { canvasName?: string | undefined }) {
  return (
    <main className="message-page" data-testid="canvas-deleted">
      <Logo />
      <div className="message-icon" aria-hidden="true">
        <svg viewBox="0 0 24 24" width="40" height="40" fill="none" stroke="currentColor" strokeWidth="1.75">
          <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />
        </svg>
      </div>
      <h1>This canvas was deleted</h1>
      <p className="muted">
        {canvasName ? `“${canvasName}” was` : 'It was'} deleted by its owner while you had it open. Changes
        not saved by then are gone.
      </p>
      <Link className="button primary" href="/">
        Back to my canvases
      </Link>
    </main>
  )
}

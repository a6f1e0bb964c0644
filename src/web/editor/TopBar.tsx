import { canvasNameProblem } from '../pages/canvasName.js'
import { useRef, useState, type ReactNode } from 'react'
import type { PresenceUser } from '../../protocol/messages.js'
import type { Role } from '../../protocol/roles.js'
import { Link } from '../app/Link.js'
import { Avatar } from '../components/Avatar.js'
import type { ConnectionStatus } from '../sync/syncEngine.js'
import { BackIcon, ShareIcon } from './icons.js'

interface Props {
  canvasName: string
  role: Role
  me: { userId: string; username: string; color: string } | undefined
  users: readonly PresenceUser[]
  status: ConnectionStatus
  saved: boolean
  pendingCount: number
  onShare: (() => void) | undefined
  /** Undefined when the role may not rename (viewers). */
  onRename: ((name: string) => Promise<void>) | undefined
  /** The user whose view mine follows, if any; clicking someone's avatar follows them. */
  following?: string | undefined
  onFollow?: (userId: string) => void
  /** More controls at the right end, before Share (the theme toggle). */
  children?: ReactNode
}

const STATUS_TEXT: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  online: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  closed: 'Disconnected',
}

const MAX_AVATARS = 5

export function TopBar({
  canvasName,
  role,
  me,
  users,
  status,
  saved,
  pendingCount,
  onShare,
  onRename,
  following,
  onFollow,
  children,
}: Props) {
  // Me first, then everyone else once (a user with two tabs is one person).
  const others = users.filter(
    (u, i) => u.userId !== me?.userId && users.findIndex((v) => v.userId === u.userId) === i,
  )
  const people = me ? [me, ...others] : others
  const hidden = Math.max(0, people.length - MAX_AVATARS)
  const savedText = saved ? 'Saved' : 'Saving…'
  const savedTitle = saved
    ? 'Every change is saved'
    : `${pendingCount} change${pendingCount === 1 ? '' : 's'} not yet confirmed by the server${
        status === 'online' ? '' : '; they are kept on this device and sent when you are back online'
      }`

  return (
    <header className="topbar">
      <div className="topbar-left">
        <Link href="/" className="icon-button" aria-label="Back to my canvases" title="Back to my canvases">
          <BackIcon />
        </Link>
        <CanvasTitle name={canvasName} onRename={onRename} />
        {role === 'viewer' && (
          <span className="badge badge-view-only" data-testid="view-only-badge">
            View only
          </span>
        )}
        <span
          className={`saved-indicator ${saved ? 'is-saved' : 'is-saving'}`}
          data-testid="saved-indicator"
          data-saved={saved}
          data-pending={pendingCount}
          title={savedTitle}
          role="status"
        >
          {savedText}
        </span>
      </div>
      <div className="topbar-right">
        <ul
          className="presence-list"
          data-testid="presence-list"
          aria-label={`${people.length} ${people.length === 1 ? 'person' : 'people'} here`}
        >
          {people.map((u, i) => (
            <li
              key={u.userId}
              // Past the first few, people are listed for screen readers and tests, not drawn.
              className={i < MAX_AVATARS ? 'presence-user' : 'presence-user visually-hidden'}
              data-testid="presence-user"
              data-user-id={u.userId}
              title={u.userId === me?.userId ? `${u.username} (you)` : u.username}
            >
              {u.userId !== me?.userId && onFollow ? (
                <button
                  type="button"
                  className="presence-follow"
                  aria-pressed={following === u.userId}
                  aria-label={`Follow ${u.username}`}
                  title={`Follow ${u.username}'s view`}
                  onClick={() => onFollow(u.userId)}
                >
                  <Avatar name={u.username} color={u.color} />
                </button>
              ) : (
                <>
                  <Avatar name={u.username} color={u.color} ring={u.userId === me?.userId} />
                  <span className="visually-hidden">
                    {u.userId === me?.userId ? `${u.username} (you)` : u.username}
                  </span>
                </>
              )}
            </li>
          ))}
          {hidden > 0 && (
            <li
              className="presence-more"
              aria-hidden="true"
              title={people
                .slice(MAX_AVATARS)
                .map((u) => u.username)
                .join(', ')}
            >
              +{hidden}
            </li>
          )}
        </ul>
        <span
          className={`connection-status status-${status}`}
          data-testid="connection-status"
          data-status={status}
          role="status"
        >
          <span className="status-dot" aria-hidden="true" />
          {STATUS_TEXT[status]}
        </span>
        {children}
        {onShare && (
          <button type="button" className="button primary small" onClick={onShare}>
            <ShareIcon /> Share
          </button>
        )}
      </div>
    </header>
  )
}

/** The canvas name; owners and editors click it to rename in place (Enter saves, Escape cancels). */
function CanvasTitle({ name, onRename }: { name: string; onRename: Props['onRename'] }) {
  const [draft, setDraft] = useState<string | undefined>()
  const cancelled = useRef(false)
  if (!onRename) {
    return (
      <h1 className="canvas-title" data-testid="canvas-name" title={name}>
        {name}
      </h1>
    )
  }
  if (draft === undefined) {
    return (
      <h1 className="canvas-title">
        <button
          type="button"
          className="canvas-title-button"
          data-testid="canvas-name"
          title="Rename canvas"
          aria-label={`${name}, rename canvas`}
          onClick={() => {
            cancelled.current = false
            setDraft(name)
          }}
        >
          {name}
        </button>
      </h1>
    )
  }
  const problem = draft.trim() === '' ? undefined : canvasNameProblem(draft)
  const commit = () => {
    const next = draft.trim()
    // A name too long is kept in the field with its reason, never cut or dropped [ED-D5].
    if (!cancelled.current && problem !== undefined) return
    setDraft(undefined)
    if (cancelled.current || next === '' || next === name) return
    onRename(next).catch(() => undefined)
  }
  return (
    <span className="canvas-title-edit">
      <input
        className="canvas-title-input"
        aria-label="Canvas name"
        value={draft}
        aria-invalid={problem === undefined ? undefined : true}
        aria-describedby={problem === undefined ? undefined : 'canvas-name-problem'}
        autoFocus
        onFocus={(e) => e.target.select()}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur()
          if (e.key === 'Escape') {
            cancelled.current = true
            e.currentTarget.blur()
            setDraft(undefined)
          }
        }}
      />
      {problem !== undefined && (
        <span
          className="canvas-name-problem"
          id="canvas-name-problem"
          role="alert"
          data-testid="canvas-name-problem"
        >
          {problem}
        </span>
      )}
    </span>
  )
}

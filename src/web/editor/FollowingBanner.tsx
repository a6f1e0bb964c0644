import type { PresenceUser } from '../../protocol/messages.js'

interface Props {
  user: PresenceUser
  onStop: () => void
}

/** Says whose view mine follows, framed in their colour, with a way out besides Escape. */
export function FollowingBanner({ user, onStop }: Props) {
  return (
    <div className="following-frame" style={{ borderColor: user.color }} data-testid="following-indicator">
      <div className="following-banner" role="status" style={{ backgroundColor: user.color }}>
        <span>Following {user.username}</span>
        <button type="button" className="following-stop" onClick={onStop} title="Stop following (Esc)">
          Stop
        </button>
      </div>
    </div>
  )
}

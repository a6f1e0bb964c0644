import { Link } from '../app/Link.js'
import { useSession } from '../app/session.js'
import { Avatar } from '../components/Avatar.js'
import { Logo } from './Logo.js'

export function AppHeader() {
  const { user, signOut } = useSession()
  return (
    <header className="app-header">
      <Link href="/" className="home-link" aria-label="CollabCanvas home">
        <Logo />
      </Link>
      <div className="app-header-user">
        <Avatar name={user.username} color="#60646c" />
        <span className="app-header-name" data-testid="current-user">
          {user.username}
        </span>
        <Link href="/settings/api-keys" className="button ghost">
          API keys
        </Link>
        <Link href="/account" className="button ghost">
          Account
        </Link>
        <button type="button" className="button ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </header>
  )
}

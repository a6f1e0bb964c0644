import { useCallback, useEffect, useMemo, useState } from 'react'
import type { User } from '../../protocol/httpTypes.js'
import { api } from './apiClient.js'
import { ApiKeysPage } from '../pages/ApiKeysPage.js'
import { AccountPage } from '../pages/AccountPage.js'
import { AdminPage } from '../pages/AdminPage.js'
import { AuthPage } from '../pages/AuthPage.js'
import { CanvasListPage } from '../pages/CanvasListPage.js'
import { EditorPage } from '../pages/EditorPage.js'
import { JoinPage } from '../pages/JoinPage.js'
import { NotFoundPage } from '../pages/NotFoundPage.js'
import { navigate, parseRoute, signInPathFor, useLocation } from './router.js'
import { SessionProvider, type Session } from './session.js'

type SessionState = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; user: User }

export function App() {
  const [session, setSession] = useState<SessionState>({ kind: 'loading' })
  const path = useLocation()
  const route = useMemo(() => {
    const url = new URL(path, location.origin)
    return parseRoute(url.pathname, url.search)
  }, [path])

  // The session survives a reload: the cookie is HttpOnly, so ask the server who we are.
  useEffect(() => {
    let cancelled = false
    api.currentSession().then(
      ({ user }) =>
        !cancelled && setSession(user === null ? { kind: 'signed-out' } : { kind: 'signed-in', user }),
      // The server is unreachable: the sign-in page is where to start.
      () => !cancelled && setSession({ kind: 'signed-out' }),
    )
    return () => {
      cancelled = true
    }
  }, [])

  const signOut = useCallback(async () => {
    await api.logout().catch(() => undefined)
    setSession({ kind: 'signed-out' })
    navigate('/signin', { replace: true })
  }, [])

  const onSignedIn = useCallback((user: User, next: string | undefined) => {
    setSession({ kind: 'signed-in', user })
    navigate(next ?? '/', { replace: true })
  }, [])

  const needsSignIn =
    session.kind === 'signed-out' &&
    (route.name === 'home' ||
      route.name === 'canvas' ||
      route.name === 'join' ||
      route.name === 'api-keys' ||
      route.name === 'account' ||
      route.name === 'admin')
  const signedInOnAuthPage =
    session.kind === 'signed-in' && (route.name === 'sign-in' || route.name === 'register')
  useEffect(() => {
    if (needsSignIn) navigate(route.name === 'home' ? '/signin' : signInPathFor(path), { replace: true })
    if (signedInOnAuthPage) navigate(('next' in route ? route.next : undefined) ?? '/', { replace: true })
  }, [needsSignIn, signedInOnAuthPage, route, path])

  const value: Session | undefined = useMemo(
    () => (session.kind === 'signed-in' ? { user: session.user, signOut } : undefined),
    [session, signOut],
  )

  if (session.kind === 'loading' || needsSignIn || signedInOnAuthPage) {
    return <div className="splash" aria-busy="true" aria-label="Loading" />
  }
  switch (route.name) {
    case 'sign-in':
    case 'register':
      return <AuthPage mode={route.name} next={route.next} onSignedIn={onSignedIn} />
    case 'not-found':
      return <NotFoundPage signedIn={value !== undefined} />
    case 'home':
    case 'canvas':
    case 'join':
    case 'api-keys':
    case 'account':
    case 'admin':
      if (!value) return null
      return (
        <SessionProvider session={value}>
          {route.name === 'home' && <CanvasListPage />}
          {route.name === 'canvas' && <EditorPage key={route.canvasId} canvasId={route.canvasId} />}
          {route.name === 'join' && <JoinPage key={route.token} token={route.token} />}
          {route.name === 'api-keys' && <ApiKeysPage />}
          {route.name === 'account' && <AccountPage />}
          {route.name === 'admin' && <AdminPage />}
        </SessionProvider>
      )
  }
}

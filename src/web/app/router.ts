import { useSyncExternalStore } from 'react'

/**
 * A small History API router: the app has seven routes, no nesting. The server answers every
 * page path with index.html (SPA fallback) and the app decides what to show.
 */

export type Route =
  | { name: 'home' }
  | { name: 'sign-in'; next: string | undefined }
  | { name: 'register'; next: string | undefined }
  | { name: 'canvas'; canvasId: string }
  | { name: 'join'; token: string }
  | { name: 'api-keys' }
  | { name: 'account' }
  | { name: 'admin' }
  | { name: 'not-found' }

const CANVAS_PATH = /^\/canvas\/([A-Za-z0-9_-]{1,64})\/?$/
const JOIN_PATH = /^\/join\/([A-Za-z0-9_-]{1,64})\/?$/
const LOCATION_CHANGE = 'collabcanvas:locationchange'

export function parseRoute(pathname: string, search: string): Route {
  const next = safeNext(new URLSearchParams(search).get('next'))
  if (pathname === '/' || pathname === '') return { name: 'home' }
  if (pathname === '/signin') return { name: 'sign-in', next }
  if (pathname === '/register') return { name: 'register', next }
  if (pathname === '/settings/api-keys' || pathname === '/settings/api-keys/') return { name: 'api-keys' }
  if (pathname === '/account' || pathname === '/account/') return { name: 'account' }
  if (pathname === '/admin') return { name: 'admin' }
  const canvas = CANVAS_PATH.exec(pathname)
  if (canvas?.[1] !== undefined) return { name: 'canvas', canvasId: canvas[1] }
  const join = JOIN_PATH.exec(pathname)
  if (join?.[1] !== undefined) return { name: 'join', token: join[1] }
  return { name: 'not-found' }
}

/** Only same-site paths: `?next=https://evil.example` must not become an open redirect. */
function safeNext(value: string | null): string | undefined {
  if (value === null || !value.startsWith('/') || value.startsWith('//')) return undefined
  return value
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  window.dispatchEvent(new Event(LOCATION_CHANGE))
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener)
  window.addEventListener(LOCATION_CHANGE, listener)
  return () => {
    window.removeEventListener('popstate', listener)
    window.removeEventListener(LOCATION_CHANGE, listener)
  }
}

const currentLocation = () => location.pathname + location.search

/** The current path and query, re-rendering on navigation. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, currentLocation)
}

export function signInPathFor(next: string): string {
  return `/signin?next=${encodeURIComponent(next)}`
}

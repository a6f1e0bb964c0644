import { useCallback, useEffect, useState } from 'react'
import type { UserViewport } from '../../protocol/messages.js'
import { viewShowing, type Size } from '../canvas/viewRect.js'
import type { Viewport } from '../canvas/viewport.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import { useEngineState } from './useEngine.js'

export interface Follow {
  /** The user whose view mine follows, while it does. */
  following: string | undefined
  follow: (userId: string) => void
  stop: () => void
}

/**
 * Following a collaborator's view (click their avatar): my view shows what theirs shows, pan and
 * zoom, until I pan or zoom myself (the editor calls `stop`), press Escape, or they leave.
 * Only the followed user's viewport is read, so others panning re-render nothing here.
 */
export function useFollow(engine: SyncEngine, size: Size, setViewport: (v: Viewport) => void): Follow {
  const [following, setFollowing] = useState<string | undefined>()
  const target: UserViewport | undefined = useEngineState(engine, (s) =>
    following === undefined ? undefined : s.viewports.get(following),
  )
  const present = useEngineState(engine, (s) =>
    following === undefined ? false : s.users.some((u) => u.userId === following),
  )
  const stop = useCallback(() => setFollowing(undefined), [])
  const follow = useCallback((userId: string) => setFollowing(userId), [])

  useEffect(() => {
    if (following !== undefined && !present) setFollowing(undefined)
  }, [following, present])

  useEffect(() => {
    if (target === undefined || size.width === 0 || size.height === 0) return
    setViewport(viewShowing(target, size))
  }, [target, size, setViewport])

  useEffect(() => {
    if (following === undefined) return
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setFollowing(undefined)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [following])

  return { following, follow, stop }
}

import { useMemo } from 'react'
import { presenceColor } from '../../core/presenceColor.js'
import type { CanvasObject } from '../../protocol/objects.js'
import { CursorOverlay } from '../canvas/CursorOverlay.js'
import { SelectionOverlay } from '../canvas/SelectionOverlay.js'
import type { Viewport } from '../canvas/viewport.js'
import type { SyncEngine } from '../sync/syncEngine.js'
import { useEngineState } from './useEngine.js'

/** Other people's selections, outlined in their colour; re-renders on selection changes only. */
export function RemoteSelections({
  engine,
  objects,
  viewport,
}: {
  engine: SyncEngine
  objects: ReadonlyMap<string, CanvasObject>
  viewport: Viewport
}) {
  const selections = useEngineState(engine, (s) => s.selections)
  const users = useEngineState(engine, (s) => s.users)
  // What each user drags right now, as a string: it changes when a drag starts or ends, not on
  // every move, so this does not re-render at the preview rate. Outlines of shapes in flight are
  // left out: they would stay behind at the stored place [ED-L1].
  const dragging = useEngineState(engine, (s) =>
    [...s.previews].map(([userId, objects]) => `${userId}:${objects.map((o) => o.id).join(',')}`).join('|'),
  )
  const shown = useMemo(() => {
    const inFlight = new Set(
      dragging === ''
        ? []
        : dragging.split('|').flatMap((entry) => {
            const [userId = '', ids = ''] = entry.split(':')
            return ids.split(',').map((id) => `${userId}:${id}`)
          }),
    )
    return [...selections].map(([userId, ids]) => ({
      userId,
      ids: inFlight.size === 0 ? ids : ids.filter((id) => !inFlight.has(`${userId}:${id}`)),
      color: users.find((u) => u.userId === userId)?.color ?? presenceColor(userId),
    }))
  }, [selections, users, dragging])
  return <SelectionOverlay selections={shown} objects={objects} viewport={viewport} />
}

/** Only this re-renders on cursor traffic: 20 people moving must not re-render the editor. */
export function RemoteCursors({
  engine,
  viewport,
  myId,
}: {
  engine: SyncEngine
  viewport: Viewport
  myId: string | undefined
}) {
  const cursors = useEngineState(engine, (s) => s.cursors)
  const others = useMemo(() => {
    if (myId === undefined || !cursors.has(myId)) return cursors
    const copy = new Map(cursors)
    copy.delete(myId)
    return copy
  }, [cursors, myId])
  return <CursorOverlay cursors={others} viewport={viewport} />
}

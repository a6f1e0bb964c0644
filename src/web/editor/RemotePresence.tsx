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
  const shown = useMemo(
    () =>
      [...selections].map(([userId, ids]) => ({
        userId,
        ids,
        color: users.find((u) => u.userId === userId)?.color ?? presenceColor(userId),
      })),
    [selections, users],
  )
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

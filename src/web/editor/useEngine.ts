import { useEffect, useState, useSyncExternalStore } from 'react'
import { IndexedDbPendingStore } from '../sync/pendingStore.js'
import { canvasSocketUrl, SyncEngine, type SyncSnapshot } from '../sync/syncEngine.js'

/**
 * One engine per mounted editor: started on mount, stopped on unmount. The session cookie rides
 * along with the upgrade, so no token is passed.
 */
export function useSyncEngine(canvasId: string, userId: string): SyncEngine | undefined {
  const [engine, setEngine] = useState<SyncEngine | undefined>()
  useEffect(() => {
    const created = new SyncEngine({
      url: canvasSocketUrl(canvasId, location.href),
      canvasId,
      userId,
      pendingStore: new IndexedDbPendingStore(),
    })
    // start() never rejects: a failure to read queued edits becomes the snapshot's lastError.
    void created.start()
    setEngine(created)
    return () => {
      created.stop()
      setEngine(undefined)
    }
  }, [canvasId, userId])
  return engine
}

/**
 * A slice of the engine's snapshot; re-renders only when that slice changes. The selector must
 * return something already in the snapshot (a field, an object): snapshots are immutable and
 * keep what did not change, so identity comparison is exact.
 */
export function useEngineState<T>(engine: SyncEngine, select: (snapshot: SyncSnapshot) => T): T {
  return useSyncExternalStore(
    (listener) => engine.subscribe(listener),
    () => select(engine.getSnapshot()),
  )
}

import type { SyncEngine, SyncSnapshot } from '../../../../src/web/sync/syncEngine.js'

/**
 * Resolves with the first snapshot of `engine` that satisfies `predicate` (the current one
 * included); rejects after `timeoutMs` naming what it waited for and what the engine shows.
 */
export function waitForSnapshot(
  engine: SyncEngine,
  predicate: (snapshot: SyncSnapshot) => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<SyncSnapshot> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {}
    const timer = setTimeout(() => {
      unsubscribe()
      reject(
        new Error(
          `no snapshot with ${what} within ${timeoutMs} ms; last: ${describeSnapshot(engine.getSnapshot())}`,
        ),
      )
    }, timeoutMs)
    const check = () => {
      const snapshot = engine.getSnapshot()
      if (!predicate(snapshot)) return false
      clearTimeout(timer)
      unsubscribe()
      resolve(snapshot)
      return true
    }
    if (!check()) unsubscribe = engine.subscribe(() => void check())
  })
}

export function describeSnapshot(s: SyncSnapshot): string {
  return JSON.stringify({
    status: s.status,
    seq: s.seq,
    saved: s.saved,
    pendingCount: s.pendingCount,
    objects: [...s.objects.values()],
    users: s.users.map((u) => u.username),
    closeReason: s.closeReason,
    lastError: s.lastError,
  })
}

export const isOnline = (s: SyncSnapshot) => s.status === 'online'
export const isSavedOnline = (s: SyncSnapshot) => s.status === 'online' && s.saved

/**
 * The write-lock handshake between the main thread and the worker threads that write the same
 * SQLite file (the WAL checkpointer, the trigger events' committer). SQLite lets one writer at a
 * time in; a main-thread writer that finds the lock taken would sleep in SQLite's busy handler on
 * the event loop (1, 2, 5… ms), stalling every request. So the main thread never waits for a
 * worker: a worker raises its WANTS slot and waits until the main thread is not COMMITTING; the
 * main thread, seeing a WANTS slot up, defers its commit until the worker says it is done
 * (WriteLockGate, main side). Sequentially consistent flags on both sides (Dekker): at least one
 * of them backs off. Workers wait for each other inside SQLite (busy_timeout), off the loop.
 *
 * Fairness: a worker committing back to back (events under load) could keep the main thread
 * deferred forever, so a deferred main thread raises MAIN_WAITING and workers let it go first.
 */

/** Int32 slots of the shared buffer. */
export const COMMITTING = 0
export const MAIN_WAITING = 1
const FIRST_WANTS = 2

/** One WANTS slot per kind of worker. */
export const WORKER_SLOTS = { checkpointer: 0, eventCommitter: 1 } as const
export type WorkerSlot = (typeof WORKER_SLOTS)[keyof typeof WORKER_SLOTS]
export const SLOT_COUNT = FIRST_WANTS + Object.keys(WORKER_SLOTS).length

export const wantsIndex = (slot: WorkerSlot) => FIRST_WANTS + slot

/**
 * A deferred main thread goes first, but a worker never waits for it longer than this: the main
 * thread clears MAIN_WAITING within one event-loop turn of the release, so only a stuck loop
 * reaches it, and events must not wait on a stuck loop.
 */
const MAX_YIELD_MS = 250
/** Between looks at a flag; Atomics.notify usually wakes the waiter first. */
const POLL_MS = 50

/**
 * Worker side: runs `write` (a whole write transaction) while the main thread is kept out of
 * its commits, then tells the main thread the lock is free (`released`).
 */
export function holdWriteLock<T>(
  flags: Int32Array,
  slot: WorkerSlot,
  write: () => T,
  released: () => void,
): T {
  const yieldUntil = Date.now() + MAX_YIELD_MS
  while (Atomics.load(flags, MAIN_WAITING) === 1 && Date.now() < yieldUntil) {
    Atomics.wait(flags, MAIN_WAITING, 1, POLL_MS)
  }
  Atomics.store(flags, wantsIndex(slot), 1)
  try {
    while (Atomics.load(flags, COMMITTING) === 1) Atomics.wait(flags, COMMITTING, 1, POLL_MS)
    return write()
  } finally {
    Atomics.store(flags, wantsIndex(slot), 0)
    released()
  }
}

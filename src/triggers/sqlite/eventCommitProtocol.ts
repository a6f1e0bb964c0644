/** What the event committer (main thread) and its worker (eventCommitWorker.ts) share. */
import type { InsertedEvent, NewEvent } from '../triggerStore.js'

export interface EventCommitWorkerData {
  /** Absolute path of the database file. */
  file: string
  /** The file's WriteLockGate buffer (src/sqlite/writeLockHandshake.ts). */
  shared: SharedArrayBuffer
  /** How long a commit waits for another writer (the checkpointer, another process). */
  busyTimeoutMs: number
}

export type EventCommitRequest =
  { type: 'commit'; id: number; events: readonly NewEvent[] } | { type: 'stop' }

/** A failure, as much as the main thread needs to map it like toStorageError does. */
export interface CommitFailure {
  message: string
  /** SQLite's code (SQLITE_FULL…) or a system error's (ENOSPC…). */
  code?: string
  /** A failure of the database, not a bug. */
  fromDatabase: boolean
}

export type EventCommitReply =
  | { type: 'ready' }
  | { type: 'committed'; id: number; results: InsertedEvent[] }
  | { type: 'failed'; id: number; error: CommitFailure }

import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { holdWriteLock, WORKER_SLOTS } from '../../sqlite/writeLockHandshake.js'
import type { EventCommitReply, EventCommitRequest, EventCommitWorkerData } from './eventCommitProtocol.js'
import { sqliteEventWriter } from './sqliteEventWriter.js'

/**
 * The event commit worker's thread, started by SqliteEventCommitter: one group commit of
 * ingested events at a time on a connection of its own, so the inserts and the fsync before the
 * 202s run off the event loop. It takes the file's write-lock handshake, so the main thread's
 * commits (the op log's) wait for it without sleeping in SQLite's busy handler; it waits for
 * other writers (the checkpointer, other processes) inside SQLite, which only stalls this thread.
 */
if (parentPort === null) throw new Error('eventCommitWorker runs as a worker thread')
const port = parentPort
const { file, shared, busyTimeoutMs } = workerData as EventCommitWorkerData
const flags = new Int32Array(shared)
const db = new Database(file, { fileMustExist: true })
// An answer promises the event survives power loss: FULL on every open [D3].
db.pragma('synchronous = FULL')
db.pragma('foreign_keys = ON')
db.pragma(`busy_timeout = ${busyTimeoutMs}`)
// SQLite's inline auto-checkpoint stays on here, off the event loop: the checkpoint worker keeps
// the WAL far below its 1000 pages, and should that worker die this still bounds the WAL.
const write = db.transaction(sqliteEventWriter(db))

const reply = (msg: EventCommitReply) => port.postMessage(msg)

port.on('message', (msg: EventCommitRequest) => {
  if (msg.type === 'stop') {
    db.close()
    port.close()
    return
  }
  try {
    const results = holdWriteLock(
      flags,
      WORKER_SLOTS.eventCommitter,
      () => write.immediate(msg.events),
      // The answer itself tells the main thread the lock is free.
      () => {},
    )
    reply({ type: 'committed', id: msg.id, results })
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    reply({
      type: 'failed',
      id: msg.id,
      error: {
        message: err instanceof Error ? err.message : String(err),
        fromDatabase: err instanceof Database.SqliteError || typeof code === 'string',
        ...(typeof code === 'string' ? { code } : {}),
      },
    })
  }
})
reply({ type: 'ready' })

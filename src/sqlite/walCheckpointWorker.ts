import fs from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import {
  LOCK_RELEASED,
  PERIODIC,
  READY,
  type CheckpointMode,
  type CheckpointResult,
  type WorkerData,
  type WorkerRequest,
} from './walCheckpointProtocol.js'
import { holdWriteLock, WORKER_SLOTS } from './writeLockHandshake.js'

/**
 * The checkpoint worker's thread, started by WalCheckpointer [D6].
 *
 * Each run starts with PASSIVE, which never blocks writers and copies the bulk of the WAL into
 * the database. Under a steady stream of commits PASSIVE alone never catches up: new frames
 * land while it copies, and SQLite only starts the WAL over when a writer begins with every
 * frame copied, so the WAL grew past 90 MiB in 10 000 single-row commits (measured). So once
 * the WAL holds restartFrames or more, RESTART follows: it copies what PASSIVE left under the
 * write lock (a short hold, as PASSIVE did the bulk) and waits for readers, after which the
 * next commit starts the WAL over. Over walCapBytes, TRUNCATE also shrinks the file.
 *
 * RESTART polls for the write lock (1, 2, 5… ms sleeps) and, against commits back to back, gave
 * up busy on about half its runs while the WAL reached 31–77 MiB in 10 000 commits (measured).
 * So it first takes the write-lock handshake (writeLockHandshake.ts): the main thread defers its
 * next group commit until LOCK_RELEASED. Then every
 * RESTART succeeded and the WAL stayed under 6.5 MiB, and neither side sleeps in SQLite's busy
 * handler (on the main thread that sleep would stall the event loop).
 *
 * A long-lived read transaction pins the frames after its snapshot: no mode can copy them or
 * start the WAL over until it ends, so the WAL grows past any cap meanwhile. RESTART/TRUNCATE
 * then wait busyTimeoutMs and give up (busy); automatic runs back off (doubling, at most 30 s)
 * rather than delay commits on every tick. Bounding readers is the only cure.
 */

const MAX_BACKOFF_MS = 30_000

interface CheckpointRow {
  busy: number
  log: number
  checkpointed: number
}

if (parentPort === null) throw new Error('walCheckpointWorker runs as a worker thread')
const port = parentPort
const { file, intervalMs, restartFrames, walCapBytes, busyTimeoutMs, shared } = workerData as WorkerData
const flags = new Int32Array(shared)
const db = new Database(file, { fileMustExist: true })
db.pragma(`busy_timeout = ${busyTimeoutMs}`)
db.pragma('synchronous = FULL')
const walFile = `${file}-wal`
// A WAL file is a 32-byte header, then frames of a 24-byte header and one page.
const frameBytes = (db.pragma('page_size', { simple: true }) as number) + 24

function walBytes(): number {
  try {
    return fs.statSync(walFile).size
  } catch {
    return 0
  }
}

const walFramesIn = (bytes: number) => Math.max(0, Math.floor((bytes - 32) / frameBytes))
const pragma = (mode: CheckpointMode) =>
  (db.pragma(`wal_checkpoint(${mode})`) as CheckpointRow[])[0] as CheckpointRow
// data_version after the last RESTART/TRUNCATE that finished: unchanged means no commit since,
// so the WAL already starts over at the next one and another RESTART would do nothing.
const dataVersion = () => db.pragma('data_version', { simple: true }) as number

/** RESTART and TRUNCATE take the write lock: first make the main thread stop committing. */
function exclusive(mode: CheckpointMode): CheckpointRow {
  return holdWriteLock(
    flags,
    WORKER_SLOTS.checkpointer,
    () => pragma(mode),
    () => port.postMessage({ id: LOCK_RELEASED }),
  )
}

let escalateAfter = 0
let backoffMs = Math.max(intervalMs, 100)
let settledVersion = -1

function checkpoint(requested: CheckpointMode | 'auto', automatic: boolean): CheckpointResult {
  const walBytesBefore = walBytes()
  let mode: CheckpointMode = requested === 'auto' ? 'PASSIVE' : requested
  let row = mode === 'PASSIVE' ? pragma(mode) : exclusive(mode)
  if (requested === 'auto' && (!automatic || Date.now() >= escalateAfter)) {
    const over = walBytesBefore > walCapBytes
    // PASSIVE reports on the frames that existed when it began; under a stream of commits
    // there are always newer ones, so only a RESTART lets the WAL start over.
    // PASSIVE comes back busy, with no frame count (-1), when it cannot take a lock at once (seen
    // once, with commits back to back on a loaded machine). The file's size then bounds the
    // frames from above (a WAL that started over keeps its length), so RESTART, which waits its
    // turn, still runs whenever it may be needed rather than never.
    const frames = row.busy ? walFramesIn(walBytesBefore) : row.log
    if (over || (frames >= restartFrames && dataVersion() !== settledVersion)) {
      mode = over ? 'TRUNCATE' : 'RESTART'
      row = exclusive(mode)
      if (automatic && row.busy) {
        escalateAfter = Date.now() + backoffMs
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)
      } else if (automatic) {
        backoffMs = Math.max(intervalMs, 100)
      }
    }
  }
  if (mode !== 'PASSIVE' && !row.busy) settledVersion = dataVersion()
  const busy = row.busy !== 0
  return {
    mode,
    busy,
    complete: !busy && row.log === row.checkpointed,
    walFrames: row.log,
    checkpointedFrames: row.checkpointed,
    walBytesBefore,
    walBytesAfter: walBytes(),
  }
}

function reply(id: number, run: () => CheckpointResult): void {
  try {
    port.postMessage({ id, result: run() })
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) })
  }
}

const timer =
  intervalMs > 0 ? setInterval(() => reply(PERIODIC, () => checkpoint('auto', true)), intervalMs) : undefined
port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'checkpoint') return reply(msg.id, () => checkpoint(msg.mode, false))
  if (timer) clearInterval(timer)
  db.close()
  port.close()
})
port.postMessage({ id: READY })

/**
 * The write rate of the SQLite message queue (BUS=sqlite) alone, for `npm run bench:scale`: a
 * queue transport from the build (dist/log/sqlite/sqliteQueueBus.js) on a fresh, migrated
 * DATA_DIR writes `messages` messages as the server does — everything sent in one event-loop
 * turn is one transaction, committed in WAL mode as the queue runs (synchronous=NORMAL) and
 * followed by the doorbell — once in turns of 100 messages (a busy server's fan-out) and once one
 * message per turn (the worst case: one transaction each). Rows are counted in the file after.
 *
 * Not run directly; used by bench/scaleBench.mjs.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setImmediate } from 'node:timers'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { round } from './stats.mjs'

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

async function writeAll(Transport, dataDir, messages, perTurn) {
  const errors = []
  const transport = new Transport(
    { receive() {}, resync() {} },
    {
      dataDir,
      instanceId: `bench-${perTurn}`,
      headSeq: async () => 0,
      onError: (err, what) => errors.push(`${what}: ${err.message}`),
    },
  )
  const t0 = performance.now()
  for (let sent = 0; sent < messages;) {
    for (let k = 0; k < perTurn && sent < messages; k++, sent++) {
      // A doorbell for a commit, and a coalesced cursor batch, alternately (both real shapes).
      const message =
        sent % 2 === 0
          ? { t: 'committed', head: sent, entries: [], src: 'bench', lid: sent }
          : {
              t: 'ephemeral',
              message: {
                kind: 'cursors',
                cursors: Array.from({ length: 10 }, (_, u) => ({ userId: `user-${u}`, x: sent, y: u })),
              },
              src: 'bench',
              lid: sent,
            }
      transport.send(`canvas-${sent % 50}`, message)
    }
    // The transport flushes on setImmediate: one transaction per turn.
    await nextTurn()
  }
  await nextTurn()
  const seconds = (performance.now() - t0) / 1000
  await transport.close()
  if (errors.length > 0) throw new Error(`queue writes failed: ${errors.slice(0, 3).join('; ')}`)
  return { messages, perTurn, seconds: round(seconds, 3), perSec: round(messages / seconds, 0) }
}

export async function measureQueueWrites({ messages, mainJs }) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-queue-'))
  try {
    execFileSync(process.execPath, [mainJs, 'migrate'], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    })
    const distLog = path.join(path.dirname(mainJs), '..', 'log', 'sqlite', 'sqliteQueueBus.js')
    const { SqliteQueueTransport } = await import(pathToFileURL(distLog).href)
    const busyTurns = await writeAll(SqliteQueueTransport, dataDir, messages, 100)
    const singleTurns = await writeAll(SqliteQueueTransport, dataDir, Math.min(messages, 10_000), 1)
    const db = new Database(path.join(dataDir, 'canvas.db'), { readonly: true })
    const rows = db.prepare('SELECT count(*) AS n FROM message_queue').get().n
    db.close()
    const expected = busyTurns.messages + singleTurns.messages
    if (rows !== expected) throw new Error(`the queue holds ${rows} rows, expected ${expected}`)
    return { busyTurns, singleTurns, rowsInQueue: rows }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

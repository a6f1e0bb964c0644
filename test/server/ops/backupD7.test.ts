import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { applyEntry } from '../../../src/core/room/applyEntry.js'
import type { LogEntry } from '../../../src/core/room/logEntry.js'
import { emptyRoom, objectsOf } from '../../../src/core/room/roomState.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { fetchClient } from '../../support/apiClient.js'
import { runCli, startCli, type CliProcess } from '../../support/cli.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../../support/fixtures.js'
import { OpWriter, type ReceivedAck } from '../../support/opWriter.js'
import { seededRandom } from '../../support/seededRandom.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from '../../support/serverProcess.js'
import { tempDir } from '../../support/tempDir.js'

// [D7] (../shared/reliability.md): a backup taken while clients write restores to a database that
// opens, migrates and serves the same objects; `restore` refuses a corrupt file. Real server
// processes and the real CLI on temp dirs.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))

async function startServer(dataDir: string): Promise<{ cli: CliProcess; baseUrl: string }> {
  const { server, baseUrl } = await startOnFreePort({
    start: (port) =>
      startCli(['serve'], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    listening: (s, port) => s.waitForStdout(literal(`"msg":"${listeningMessage(port)}"`), 30_000),
    stop: (s) => killAndWait(s.child, s.exited),
    output: (s) => s.stdout() + s.stderr(),
  })
  cleanups.push(() => killAndWait(server.child, server.exited))
  await waitForHealth(baseUrl, server.child, () => server.stdout() + server.stderr())
  return { cli: server, baseUrl }
}

interface LogRow {
  canvas_id: string
  seq: number
  op_id: string
  user_id: string
  at: number
  op: string
}

function readLog(dbFile: string): { integrity: unknown; rows: LogRow[] } {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      rows: db
        .prepare('SELECT canvas_id, seq, op_id, user_id, at, op FROM op_log ORDER BY canvas_id, seq')
        .all() as LogRow[],
    }
  } finally {
    db.close()
  }
}

/** The objects a canvas's log produces, by the room's own pure apply function. */
function replay(rows: readonly LogRow[], canvasId: string): CanvasObject[] {
  let state = emptyRoom()
  for (const row of rows.filter((r) => r.canvas_id === canvasId)) {
    const entry: LogEntry = {
      canvasId,
      seq: row.seq,
      opId: row.op_id,
      userId: row.user_id,
      at: row.at,
      op: JSON.parse(row.op) as LogEntry['op'],
    }
    state = applyEntry(state, entry).state
  }
  return objectsOf(state).sort((a, b) => a.id.localeCompare(b.id))
}

describe('backup and restore [D7]', () => {
  it('[D7] when a backup is taken while 4 clients write and is restored into a new data dir, then integrity_check is ok, its log is a prefix of the live log holding every op acked before the backup began, and the restored server serves the objects that log produces', async () => {
    const live = tempDir('collabcanvas-d7-live-')
    const restored = tempDir('collabcanvas-d7-restored-')
    const backups = tempDir('collabcanvas-d7-backups-')
    cleanups.push(
      () => live.remove(),
      () => restored.remove(),
      () => backups.remove(),
    )
    const { cli: server, baseUrl } = await startServer(live.path)
    const api = fetchClient(baseUrl)

    const users: TestUser[] = []
    for (let i = 0; i < 4; i++) users.push(await registerUser(api, { username: `d7 writer ${i}` }))
    const [a, b, c, d] = users as [TestUser, TestUser, TestUser, TestUser]
    const one = await createCanvas(api, a, 'd7 one')
    const two = await createCanvas(api, c, 'd7 two')
    await shareCanvas(api, a, one.id, b, 'editor')
    await shareCanvas(api, c, two.id, d, 'editor')
    const canvasOf = [one.id, one.id, two.id, two.id]

    const acks: ReceivedAck[] = []
    const writers = await Promise.all(
      users.map((user, i) =>
        OpWriter.connect({
          baseUrl,
          canvasId: canvasOf[i] as string,
          token: user.token,
          opIdPrefix: `d7-w${i}`,
          window: 16,
          opsPerSec: 300,
          random: seededRandom(7_000 + i),
          onAck: (ack) => acks.push(ack),
        }),
      ),
    )
    cleanups.push(() => writers.forEach((w) => w.close()))
    for (const w of writers) w.start()
    await expect.poll(() => acks.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(400)

    // Everything acked before the backup starts must be in it.
    const ackedBefore = acks.slice()
    const backupFile = path.join(backups.path, 'canvas-backup.db')
    const backup = await runCli(['backup', backupFile], { DATA_DIR: live.path })
    const ackedDuring = acks.length - ackedBefore.length
    // A little more load after the backup, so the live log runs past it.
    const target = acks.length + 100
    await expect.poll(() => acks.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(target)
    for (const w of writers) w.close()
    await killAndWait(server.child, server.exited, 'SIGTERM')
    process.stdout.write(
      `[D7] ${ackedBefore.length} acks before the backup, ${ackedDuring} while it ran, ${acks.length} in all\n`,
    )

    expect(backup.code, backup.stderr).toBe(0)
    const report = JSON.parse(backup.stdout.trim()) as { msg: string; file: string; logEntries: number }
    expect(report).toMatchObject({ msg: 'backup written', file: backupFile })
    expect(report.logEntries).toBeGreaterThanOrEqual(ackedBefore.length)
    // The server kept acking while the backup ran: it was taken under load.
    expect(ackedDuring + (acks.length - target)).toBeGreaterThan(0)
    expect(fs.readdirSync(backups.path), 'no partial file left behind').toEqual(['canvas-backup.db'])

    const restore = await runCli(['restore', backupFile], { DATA_DIR: restored.path })
    expect(restore.code, restore.stderr).toBe(0)
    expect(JSON.parse(restore.stdout.trim())).toMatchObject({ msg: 'restored', restoredFrom: backupFile })

    const liveLog = readLog(path.join(live.path, 'canvas.db'))
    const restoredLog = readLog(path.join(restored.path, 'canvas.db'))
    expect(restoredLog.integrity).toBe('ok')
    // A prefix of the live log, per canvas: seq 1..n, each the same op as live.
    const liveBySeq = new Map(liveLog.rows.map((r) => [`${r.canvas_id}#${r.seq}`, r.op_id]))
    for (const canvasId of canvasOf) {
      const seqs = restoredLog.rows.filter((r) => r.canvas_id === canvasId).map((r) => r.seq)
      expect(seqs, `restored seqs of ${canvasId}`).toEqual(seqs.map((_, i) => i + 1))
    }
    const notInLive = restoredLog.rows.filter((r) => liveBySeq.get(`${r.canvas_id}#${r.seq}`) !== r.op_id)
    expect(notInLive.map((r) => `${r.canvas_id}#${r.seq}`)).toEqual([])
    expect(restoredLog.rows.length).toBeLessThan(liveLog.rows.length)
    const restoredByOp = new Map(restoredLog.rows.map((r) => [r.op_id, `${r.canvas_id}#${r.seq}`]))
    const missing = ackedBefore.filter((ack) => restoredByOp.get(ack.opId) !== `${ack.canvasId}#${ack.seq}`)
    expect(missing, 'acked before the backup began, missing from it').toEqual([])

    // The restored database opens, migrates (restore did; serve does again) and serves the same objects.
    const again = await startServer(restored.path)
    for (const [i, canvasId] of [one.id, two.id].entries()) {
      const owner = i === 0 ? a : c
      const res = await fetchClient(again.baseUrl).send<{ seq: number; objects: CanvasObject[] }>({
        method: 'GET',
        url: `/api/canvases/${canvasId}/state`,
        token: owner.token,
      })
      expect(res.status, res.text).toBe(200)
      const expected = replay(restoredLog.rows, canvasId)
      expect(expected.length).toBeGreaterThan(0)
      expect(res.body.seq).toBe(restoredLog.rows.filter((r) => r.canvas_id === canvasId).length)
      expect([...res.body.objects].sort((x, y) => x.id.localeCompare(y.id))).toEqual(expected)
    }
  }, 90_000)

  it('[D7] when restore is given a corrupt file, a file that is not a database, a missing file or a foreign database, then it refuses with a message naming the problem and leaves the database as it was', async () => {
    const dir = tempDir('collabcanvas-d7-corrupt-')
    cleanups.push(() => dir.remove())
    const dataDir = path.join(dir.path, 'data')
    const migrate = await runCli(['migrate'], { DATA_DIR: dataDir })
    expect(migrate.code, migrate.stderr).toBe(0)
    const good = path.join(dir.path, 'good.db')
    const backup = await runCli(['backup', good], { DATA_DIR: dataDir })
    expect(backup.code, backup.stderr).toBe(0)
    const before = fs.readFileSync(path.join(dataDir, 'canvas.db'))

    // Damage: overwrite the middle of the b-tree pages (not the header) with garbage.
    const corrupt = path.join(dir.path, 'corrupt.db')
    const bytes = fs.readFileSync(good)
    const pageSize = bytes.readUInt16BE(16)
    for (let page = 1; page * pageSize < bytes.length; page++) {
      bytes.fill(0xa5, page * pageSize + 8, page * pageSize + Math.min(pageSize, 200))
    }
    fs.writeFileSync(corrupt, bytes)
    const notDb = path.join(dir.path, 'notes.txt')
    fs.writeFileSync(notDb, 'this is not a database\n'.repeat(100))
    const foreign = path.join(dir.path, 'foreign.db')
    const other = new Database(foreign)
    other.exec('CREATE TABLE t (x)')
    other.close()

    const cases: [string, RegExp][] = [
      [corrupt, /is (corrupt|not a usable SQLite database)/],
      [notDb, /not a usable SQLite database|cannot be opened/],
      [path.join(dir.path, 'missing.db'), /does not exist/],
      [foreign, /not a CollabCanvas one/],
    ]
    for (const [file, message] of cases) {
      const res = await runCli(['restore', file], { DATA_DIR: dataDir })
      expect(res.code, `${file}: ${res.stdout}`).toBe(1)
      expect(res.stderr.trim().split('\n')).toHaveLength(1)
      expect(res.stderr).toMatch(message)
      expect(res.stderr).not.toMatch(/\bat .+\.js:\d+/)
    }
    expect(fs.readFileSync(path.join(dataDir, 'canvas.db')).equals(before), 'the database is untouched').toBe(
      true,
    )
    expect(fs.readdirSync(dataDir).filter((f) => f.includes('restore'))).toEqual([])
  }, 30_000)

  it('[D7] when restore runs while a server has the database open, then it refuses and the server keeps serving', async () => {
    const dir = tempDir('collabcanvas-d7-busy-')
    cleanups.push(() => dir.remove())
    const { baseUrl } = await startServer(dir.path)
    const file = path.join(dir.path, 'copy.db')
    const backup = await runCli(['backup', file], { DATA_DIR: dir.path })
    expect(backup.code, backup.stderr).toBe(0)
    const res = await runCli(['restore', file], { DATA_DIR: dir.path })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/in use by another process: stop every CollabCanvas instance/)
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200)
  }, 30_000)

  it('[D7] when backup or restore get no file, or run against PostgreSQL, then they print usage or the pg_dump instructions and exit 2', async () => {
    expect(await runCli(['backup'], { DATA_DIR: '/nonexistent' })).toMatchObject({ code: 2 })
    const extra = await runCli(['restore', 'a', 'b'], { DATA_DIR: '/nonexistent' })
    expect(extra.stderr).toMatch(/usage: collabcanvas backup <file>/)
    const pg = await runCli(['backup', '/tmp/x.db'], { DATABASE_URL: 'postgres://u@127.0.0.1:1/x' })
    expect(pg.code).toBe(2)
    expect(pg.stderr).toMatch(/pg_dump --format=custom/)
  })
})

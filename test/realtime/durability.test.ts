import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { startCli, type CliProcess } from '../support/cli.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../support/fixtures.js'
import { OpWriter, type ReceivedAck } from '../support/opWriter.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'
import {
  killAndWait,
  listeningMessage,
  requireStrace,
  startOnFreePort,
  startTracedCli,
  waitForHealth,
} from '../support/serverProcess.js'
import { checkFsyncBeforeAck, parseStrace, type AckCheck } from '../support/straceTrace.js'
import { tempDir } from '../support/tempDir.js'

// Durability of acked ops against crashes [D1] and the fsync-before-ack ordering [D3]
// (../shared/reliability.md). Real server processes on 127.0.0.1, one data dir per test.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** One line of numbers per test in the output: what the run actually exercised. */
function report(line: string): void {
  process.stdout.write(`${line}\n`)
}

function dbPath(dataDir: string): string {
  return path.join(dataDir, 'canvas.db')
}

// D1 sizing: 2 writers on each of 4 canvases, so one group commit holds several canvases and two
// writers interleave on each seq. Writers are paced under the server's 500 ops/s per-connection
// bucket (src/server/realtime/realtimeLimits.ts), which also keeps each canvas far below the
// 10 000-entry resume window the room trims behind (an acked op trimmed away would look lost).
// Rounds: the catalogue's 20 when the time allows. A server start takes 2 s on a loaded 2-core
// machine (4 s when other suites load it), so after `budgetMs` the test stops as soon as it has
// both floors (10 rounds and 10 000 acks); short of 10 000 acks it adds rounds until `deadlineMs`,
// then fails.
const D1 = {
  rounds: 20,
  minRounds: 10,
  minAcks: 10_000,
  budgetMs: 45_000,
  deadlineMs: 150_000,
  writers: 8,
  canvases: 4,
  window: 32,
  opsPerSec: 400,
  killAfterMs: { min: 50, max: 500 },
}

describe('durability under crashes', () => {
  it('[D1] when the server is SIGKILLed at a random moment during acked writes, round after round (20 when time allows, at least 10, and at least 10 000 acks), then every acked op is in the log with its acked seq, seqs have no gaps or duplicates, and integrity_check is ok', async () => {
    const seed = seedFromEnv('D1_SEED', 20_261_122)
    const random = seededRandom(seed)
    const tag = `[D1] seed=${seed} (replay with D1_SEED=${seed})`
    const startedAt = performance.now()
    const dir = tempDir('collabcanvas-d1-')
    cleanups.push(() => dir.remove())
    let cli: CliProcess | undefined
    cleanups.push(async () => {
      if (cli) await killAndWait(cli.child, cli.exited)
    })
    const writers: OpWriter[] = []
    cleanups.push(() => writers.forEach((w) => w.close()))

    const startServer = async (): Promise<string> => {
      const { server, baseUrl } = await startOnFreePort({
        start: (port) => {
          // info, not warn: the listening line proves which process holds the port.
          cli = startCli(['serve'], {
            PORT: String(port),
            HOST: '127.0.0.1',
            DATA_DIR: dir.path,
            LOG_LEVEL: 'info',
          })
          return cli
        },
        listening: (s, port) => s.waitForStdout(literal(`"msg":"${listeningMessage(port)}"`), 30_000),
        stop: (s) => killAndWait(s.child, s.exited),
        output: (s) => s.stdout() + s.stderr(),
      })
      await waitForHealth(baseUrl, server.child, () => describeOutput(server))
      return baseUrl
    }

    // Accounts and canvases once; sessions live in the database, so the tokens outlive restarts.
    let baseUrl = await startServer()
    const api = fetchClient(baseUrl)
    const users: TestUser[] = []
    for (let i = 0; i < D1.writers; i++) users.push(await registerUser(api, { username: `writer ${i}` }))
    // Writer i writes to canvas floor(i / perCanvas), owned by its first writer, shared with the rest.
    const perCanvas = D1.writers / D1.canvases
    const canvasIds: string[] = []
    for (let c = 0; c < D1.canvases; c++) {
      const [owner, ...editors] = users.slice(c * perCanvas, (c + 1) * perCanvas) as [TestUser, ...TestUser[]]
      const canvas = await createCanvas(api, owner, `d1 canvas ${c}`)
      for (const editor of editors) await shareCanvas(api, owner, canvas.id, editor, 'editor')
      canvasIds.push(canvas.id)
    }
    const canvasOf = (writer: number) => canvasIds[Math.floor(writer / perCanvas)] as string
    const ownerOf = (c: number) => users[c * perCanvas] as TestUser

    const acked = new Map<string, ReceivedAck>()
    const duplicateAcks: string[] = []
    const unexpectedAcks: string[] = []
    const errors: Record<string, number> = {}
    const knownObjects: string[][] = users.map(() => [])
    const killTimes: number[] = []
    let sent = 0
    let unansweredAtKill = 0
    let rounds = 0
    /** Time spent starting servers (to /health) and connecting writers, over all rounds. */
    const overheadMs = { start: 0, connect: 0 }

    for (;;) {
      const elapsed = performance.now() - startedAt
      const floors = rounds >= D1.minRounds && acked.size >= D1.minAcks
      if (floors && (rounds >= D1.rounds || elapsed > D1.budgetMs)) break
      if (rounds >= D1.minRounds && elapsed > D1.deadlineMs) break
      rounds += 1
      const roundStart = performance.now()
      if (rounds > 1) baseUrl = await startServer()
      const server = cli as CliProcess
      const connectStart = performance.now()
      overheadMs.start += connectStart - roundStart
      const seeds = users.map(() => random.int(0, 2 ** 31))
      writers.splice(0)
      writers.push(
        ...(await Promise.all(
          users.map((user, i) =>
            OpWriter.connect({
              baseUrl,
              canvasId: canvasOf(i),
              token: user.token,
              opIdPrefix: `d1-r${rounds}-w${i}`,
              window: D1.window,
              opsPerSec: D1.opsPerSec,
              random: seededRandom(seeds[i] as number),
              knownObjects: knownObjects[i],
            }),
          ),
        )),
      )
      overheadMs.connect += performance.now() - connectStart
      const killAfterMs = random.int(D1.killAfterMs.min, D1.killAfterMs.max)
      killTimes.push(killAfterMs)
      for (const w of writers) w.start()
      // The fault itself is timed (that is the test); everything after it awaits events.
      let inFlight = 0
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          inFlight = writers.reduce((n, w) => n + w.stats.sent - w.stats.acked, 0)
          server.child.kill('SIGKILL')
          resolve()
        }, killAfterMs),
      )
      const exit = await server.exited
      expect(exit, `${tag} round ${rounds}: the server died before the kill`).toEqual({
        code: null,
        signal: 'SIGKILL',
      })
      await Promise.all(writers.map((w) => w.closed))
      unansweredAtKill += inFlight
      writers.forEach((w, i) => {
        sent += w.stats.sent
        unexpectedAcks.push(...w.stats.unexpectedAcks)
        for (const [code, n] of Object.entries(w.stats.errors)) errors[code] = (errors[code] ?? 0) + n
        for (const ack of w.acks) {
          if (acked.has(ack.opId)) duplicateAcks.push(ack.opId)
          acked.set(ack.opId, ack)
        }
        knownObjects[i] = w.ackedObjects()
      })
    }

    // The last restart: the server comes back and serves what the log holds.
    baseUrl = await startServer()
    const stateSeq = new Map<string, number>()
    for (const [c, canvasId] of canvasIds.entries()) {
      const res = await fetchClient(baseUrl).send<{ seq: number }>({
        method: 'GET',
        url: `/api/canvases/${canvasId}/state`,
        token: ownerOf(c).token,
      })
      expect(res.status, res.text).toBe(200)
      stateSeq.set(canvasId, res.body.seq)
    }
    const last = cli as CliProcess
    await killAndWait(last.child, last.exited)

    // Read the log back from the file, as the next process would.
    const db = new Database(dbPath(dir.path))
    let integrity: unknown
    let rows: { canvas_id: string; seq: number; op_id: string }[]
    let heads: Map<string, number>
    try {
      integrity = db.pragma('integrity_check', { simple: true })
      rows = db
        .prepare('SELECT canvas_id, seq, op_id FROM op_log ORDER BY canvas_id, seq')
        .all() as typeof rows
      heads = new Map(
        (
          db.prepare('SELECT canvas_id, head_seq FROM op_log_heads').all() as {
            canvas_id: string
            head_seq: number
          }[]
        ).map((r) => [r.canvas_id, r.head_seq]),
      )
    } finally {
      db.close()
    }

    const inLog = new Map<string, { canvasId: string; seq: number }>()
    const duplicateOpIdsInLog: string[] = []
    const seqProblems: string[] = []
    const seqsByCanvas = new Map<string, number[]>()
    for (const row of rows) {
      if (inLog.has(row.op_id)) duplicateOpIdsInLog.push(row.op_id)
      inLog.set(row.op_id, { canvasId: row.canvas_id, seq: row.seq })
      const seqs = seqsByCanvas.get(row.canvas_id) ?? []
      seqsByCanvas.set(row.canvas_id, seqs)
      seqs.push(row.seq)
    }
    for (const canvasId of canvasIds) {
      const seqs = seqsByCanvas.get(canvasId) ?? []
      const head = heads.get(canvasId) ?? 0
      // 1..head exactly: a gap, a duplicate or a trimmed prefix all break this.
      const firstBad = seqs.findIndex((s, i) => s !== i + 1)
      if (firstBad >= 0) seqProblems.push(`${canvasId}: seq #${firstBad + 1} is ${seqs[firstBad]}`)
      if (seqs.length !== head) seqProblems.push(`${canvasId}: ${seqs.length} entries, head_seq ${head}`)
      if (stateSeq.get(canvasId) !== head) {
        seqProblems.push(`${canvasId}: served seq ${stateSeq.get(canvasId)} after restart, head_seq ${head}`)
      }
    }
    const missing: string[] = []
    const wrongSeq: string[] = []
    for (const ack of acked.values()) {
      const row = inLog.get(ack.opId)
      if (row === undefined) missing.push(`${ack.opId}@${ack.seq}`)
      else if (row.canvasId !== ack.canvasId || row.seq !== ack.seq) {
        wrongSeq.push(`${ack.opId}: acked ${ack.canvasId}#${ack.seq}, logged ${row.canvasId}#${row.seq}`)
      }
    }
    const seconds = (performance.now() - startedAt) / 1000
    const rateLimited = errors.rate_limited ?? 0
    const otherErrors = Object.entries(errors).filter(([code]) => code !== 'rate_limited')
    report(
      `${tag}: ${rounds} rounds in ${seconds.toFixed(1)} s, ${acked.size} acks of ${sent} ops sent ` +
        `(${rows.length} in the log, ${unansweredAtKill} unanswered at the kills), errors ${JSON.stringify(
          errors,
        )}, kill after ${Math.min(...killTimes)}–${Math.max(...killTimes)} ms; per round ` +
        `${(overheadMs.start / rounds).toFixed(0)} ms to /health, ${(overheadMs.connect / rounds).toFixed(0)} ms to connect`,
    )

    expect(missing, `${tag}: acked ops missing from the log`).toEqual([])
    expect(wrongSeq, `${tag}: acked ops logged with another seq`).toEqual([])
    expect(seqProblems, `${tag}: per-canvas seq must be 1..head`).toEqual([])
    expect(duplicateOpIdsInLog, `${tag}: an op stored twice`).toEqual([])
    expect(duplicateAcks, `${tag}: an op acked twice`).toEqual([])
    expect(unexpectedAcks, `${tag}: acks for ops not in flight`).toEqual([])
    expect(integrity, tag).toBe('ok')
    expect(otherErrors, `${tag}: ops refused for another reason than rate limiting`).toEqual([])
    expect(rateLimited, `${tag}: rate-limited ops`).toBeLessThanOrEqual(sent / 100)
    expect(rounds, tag).toBeGreaterThanOrEqual(D1.minRounds)
    expect(acked.size, tag).toBeGreaterThanOrEqual(D1.minAcks)
    // The kills landed during writes, not after the writers had gone idle.
    expect(unansweredAtKill, tag).toBeGreaterThan(0)
  }, 175_000)
})

// D3: the syscalls that order durability. openat/close map fds to the WAL file; pwrite64 carries
// WAL frames; write/writev/sendto/sendmsg carry WebSocket frames; fsync/fdatasync make the WAL durable.
const D3_SYSCALLS = [
  'openat',
  'close',
  'fsync',
  'fdatasync',
  'write',
  'writev',
  'pwrite64',
  'pwritev',
  'pwritev2',
  'sendto',
  'sendmsg',
]
const D3_OPS = 200

describe('fsync before ack', () => {
  it('[D3] when 200 ops are acked, on a fresh database and again after a SIGKILL and restart on it, then each ack frame is written after a WAL fsync that began after its commit frame, and synchronous is FULL at both starts', async () => {
    const straceVersion = requireStrace()
    const dir = tempDir('collabcanvas-d3-')
    cleanups.push(() => dir.remove())
    const dataDir = path.join(dir.path, 'data')
    const walPath = path.resolve(dataDir, 'canvas.db-wal')
    let owner: TestUser | undefined
    let canvasId = ''
    const lines: string[] = []

    for (const phase of ['fresh', 'restart'] as const) {
      if (phase === 'restart') {
        // SIGKILL left the WAL behind: the reopen is of an existing WAL database.
        expect(fs.existsSync(walPath), 'the WAL file after SIGKILL').toBe(true)
      }
      const traceFile = path.join(dir.path, `trace-${phase}.txt`)
      const { server, baseUrl } = await startOnFreePort({
        start: (port) => {
          const s = startTracedCli(
            ['serve'],
            { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
            { traceFile, syscalls: D3_SYSCALLS },
          )
          cleanups.push(() => s.kill())
          return s
        },
        listening: (s, port) => s.waitForLog(listeningMessage(port), 30_000),
        stop: (s) => s.kill(),
        output: (s) => s.stdout() + s.stderr(),
      })
      const opened = await server.waitForLog('sqlite opened')
      expect(opened, `${phase}: pragmas of the log's connection`).toMatchObject({
        synchronous: 2,
        journalMode: 'wal',
      })
      await waitForHealth(baseUrl, server.strace, () => describeOutput(server))

      if (owner === undefined) {
        const api = fetchClient(baseUrl)
        owner = await registerUser(api, { username: 'd3 owner' })
        canvasId = (await createCanvas(api, owner, 'd3 canvas')).id
      }
      const writer = await OpWriter.connect({
        baseUrl,
        canvasId,
        token: owner.token,
        opIdPrefix: `d3-${phase}`,
        // Several ops per turn, so group commit puts several acks behind one fsync.
        window: 20,
        opsPerSec: 1e6,
        maxOps: D3_OPS,
        random: seededRandom(3),
      })
      cleanups.push(() => writer.close())
      writer.start()
      await writer.done
      expect(writer.stats, phase).toMatchObject({
        sent: D3_OPS,
        acked: D3_OPS,
        errors: {},
        unexpectedAcks: [],
      })

      const traced = () =>
        checkFsyncBeforeAck(parseStrace(fs.readFileSync(traceFile, 'utf8')), {
          walPath,
          opIdPattern: /d3-(?:fresh|restart)-\d{6}/g,
        })
      // The client can read an ack before strace has recorded the end of its writev: killed
      // then, the server leaves that call `<unfinished ...>` in the trace (seen on the last ack).
      // So wait until the trace holds every ack, or 10 s; the assertions below say what is missing.
      for (const until = Date.now() + 10_000; Date.now() < until;) {
        if (traced().acks.length >= D3_OPS) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      // strace exits once its tracee is gone, with the trace file complete.
      await server.kill()
      const check = traced()

      expect(
        check.walFds.length,
        `${phase}: no fd of ${walPath}; opened ${check.openedDbPaths.join(', ')}`,
      ).toBeGreaterThan(0)
      // Every ack the client got is in the trace, with the same seq: the parse missed nothing.
      const inTrace = new Map(check.acks.map((a) => [a.opId, a.seq]))
      expect(inTrace, `${phase}: acks found in the trace`).toEqual(
        new Map(writer.acks.map((a) => [a.opId, a.seq])),
      )
      expect(check.acks, `${phase}: each ack written once`).toHaveLength(D3_OPS)
      expect(check.truncatedWrites, `${phase}: writes cut by strace -s`).toBe(0)
      expect(
        check.violations.map(describeViolation),
        `${phase}: ACK BEFORE ITS FSYNC (durability bug)`,
      ).toEqual([])
      lines.push(
        `${phase}: ${check.acks.length} acks behind ${check.coveringFsyncs} covering WAL fsyncs ` +
          `(${check.walFsyncs} WAL fsyncs, ${check.walWrites} WAL writes in the trace)`,
      )
    }
    report(`[D3] ${straceVersion}; synchronous=2 at both starts; ${lines.join('; ')}`)
  }, 60_000)
})

// The check itself, on hand-made traces: it must flag every way an ack can outrun durability.
describe('fsync before ack: the trace check', () => {
  const hex = (bytes: Buffer | string) =>
    [...Buffer.from(bytes)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')
  const WAL = '/data/canvas.db-wal'
  const frameHeader = (pgno: number, commitSize: number) => {
    const b = Buffer.alloc(24)
    b.writeUInt32BE(pgno, 0)
    b.writeUInt32BE(commitSize, 4)
    return b
  }
  const page = (opId: string) => Buffer.concat([Buffer.alloc(16), Buffer.from(opId), Buffer.alloc(16)])
  const at = (tid: number, call: string) => `${tid} 10:00:00.000001 ${call}`
  const open = (fd: number, file = WAL) =>
    at(100, `openat(AT_FDCWD, "${hex(file)}", O_RDWR|O_CREAT, 0644) = ${fd}`)
  const pwrite = (bytes: Buffer) =>
    at(100, `pwrite64(7, "${hex(bytes)}", ${bytes.length}, 32) = ${bytes.length}`)
  // One transaction of two ops: the second page carries the commit frame.
  const commit = [
    open(7),
    pwrite(frameHeader(2, 0)),
    pwrite(page('t-000001')),
    pwrite(frameHeader(3, 5)),
    pwrite(page('t-000002')),
  ]
  const ack = (opId: string, seq: number, tid = 100) => {
    const json = JSON.stringify({ type: 'ack', opId, seq })
    const iov = `[{iov_base="${hex(Buffer.from([0x81, json.length]))}", iov_len=2}, {iov_base="${hex(json)}", iov_len=${json.length}}]`
    return at(tid, `writev(30, ${iov}, 2) = ${json.length + 2}`)
  }
  const acks = [ack('t-000001', 1), ack('t-000002', 2)]

  it.each([
    {
      name: 'one fsync after the commit frame covers both acks (group commit)',
      lines: [...commit, at(100, 'fsync(7)         = 0'), ...acks],
      flagged: [],
    },
    { name: 'acks with no fsync', lines: [...commit, ...acks], flagged: ['t-000001', 't-000002'] },
    {
      name: 'the fsync comes after the acks',
      lines: [...commit, ...acks, at(100, 'fsync(7) = 0')],
      flagged: ['t-000001', 't-000002'],
    },
    {
      name: 'another thread fsyncs the WAL between the row frame and the commit frame, none after',
      lines: [...commit.slice(0, 3), open(8), at(200, 'fdatasync(8) = 0'), ...commit.slice(3), ...acks],
      flagged: ['t-000001', 't-000002'],
    },
    {
      name: 'the acks are written while the fsync is still running',
      lines: [
        ...commit,
        at(100, 'fsync(7 <unfinished ...>'),
        ack('t-000001', 1, 200),
        ack('t-000002', 2, 200),
        at(100, '<... fsync resumed>) = 0'),
      ],
      flagged: ['t-000001', 't-000002'],
    },
    {
      name: 'the fsync is of another file that reused the fd',
      lines: [
        ...commit,
        at(100, 'close(7) = 0'),
        open(7, '/data/canvas.db'),
        at(100, 'fsync(7) = 0'),
        ...acks,
      ],
      flagged: ['t-000001', 't-000002'],
    },
    {
      name: 'the fsync failed',
      lines: [...commit, at(100, 'fsync(7) = -1 EIO (Input/output error)'), ...acks],
      flagged: ['t-000001', 't-000002'],
    },
  ])('[D3] $name', ({ lines, flagged }) => {
    const check = checkFsyncBeforeAck(parseStrace(lines.join('\n')), {
      walPath: WAL,
      opIdPattern: /t-\d{6}/g,
    })
    expect(check.acks.map((a) => [a.opId, a.seq])).toEqual([
      ['t-000001', 1],
      ['t-000002', 2],
    ])
    expect(check.violations.map((v) => v.opId)).toEqual(flagged)
    if (flagged.length === 0) expect(check.coveringFsyncs).toBe(1)
  })
})

function describeOutput(server: { stdout(): string; stderr(): string }): string {
  return `stdout: ${server.stdout().slice(-4_000)}\nstderr: ${server.stderr().slice(-4_000)}`
}

/** A RegExp matching `text` literally. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}

function describeViolation(a: AckCheck): string {
  return `ack ${a.opId}@${a.seq} (line ${a.line + 1}, ${a.time}): ${a.problem ?? ''}`
}

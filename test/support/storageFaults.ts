import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import { startCli, type CliProcess } from './cli.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from './serverProcess.js'

/**
 * Servers as processes on a data directory the test breaks on purpose [D4][D5][D6]: started
 * (optionally under a wrapper such as fiu-run), read back from the file after they stop.
 */

export interface ServerRun {
  cli: CliProcess
  baseUrl: string
  /** Time from spawn to the first 200 from /health. */
  startMs: number
}

/** `collabcanvas serve` on a free port, resolved once it listens and /health answers 200. */
export async function startServer(
  dataDir: string,
  options: { wrapper?: readonly string[]; env?: Record<string, string> } = {},
): Promise<ServerRun> {
  const started = performance.now()
  const { server, baseUrl } = await startOnFreePort({
    start: (port) =>
      startCli(
        ['serve'],
        { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...options.env },
        options.wrapper ? { wrapper: options.wrapper } : {},
      ),
    listening: (s, port) => s.waitForStdout(literal(`"msg":"${listeningMessage(port)}"`), 30_000),
    stop: (s) => killAndWait(s.child, s.exited),
    output: (s) => s.stdout() + s.stderr(),
  })
  await waitForHealth(baseUrl, server.child, () => describeOutput(server))
  return { cli: server, baseUrl, startMs: performance.now() - started }
}

export function describeOutput(server: { stdout(): string; stderr(): string }): string {
  return `stdout: ${server.stdout().slice(-3_000)}\nstderr: ${server.stderr().slice(-3_000)}`
}

export interface StoredLog {
  integrity: unknown
  /** opId → where it is in the log. */
  ops: Map<string, { canvasId: string; seq: number }>
  /** Per canvas: seqs that are not exactly 1..head_seq (gaps, repeats, a head that disagrees). */
  seqProblems: string[]
}

/** The log as the next process would find it: read from the file with the server stopped. */
export function readStoredLog(dataDir: string): StoredLog {
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME), { fileMustExist: true })
  try {
    const integrity = db.pragma('integrity_check', { simple: true })
    const rows = db.prepare('SELECT canvas_id, seq, op_id FROM op_log ORDER BY canvas_id, seq').all() as {
      canvas_id: string
      seq: number
      op_id: string
    }[]
    const heads = db.prepare('SELECT canvas_id, head_seq FROM op_log_heads').all() as {
      canvas_id: string
      head_seq: number
    }[]
    const ops = new Map(rows.map((r) => [r.op_id, { canvasId: r.canvas_id, seq: r.seq }]))
    const seqProblems: string[] = []
    for (const { canvas_id: canvasId, head_seq: head } of heads) {
      const seqs = rows.filter((r) => r.canvas_id === canvasId).map((r) => r.seq)
      const bad = seqs.findIndex((s, i) => s !== i + 1)
      if (bad >= 0) seqProblems.push(`${canvasId}: seq #${bad + 1} is ${seqs[bad]}`)
      if (seqs.length !== head) seqProblems.push(`${canvasId}: ${seqs.length} entries, head_seq ${head}`)
    }
    return { integrity, ops, seqProblems }
  } finally {
    db.close()
  }
}

/** Acks the log does not hold with the acked canvas and seq: must be empty. */
export function lostAcks(
  acked: Iterable<{ opId: string; canvasId: string; seq: number }>,
  stored: StoredLog,
): string[] {
  const lost: string[] = []
  for (const ack of acked) {
    const row = stored.ops.get(ack.opId)
    if (row === undefined) lost.push(`${ack.opId}@${ack.seq}: missing`)
    else if (row.canvasId !== ack.canvasId || row.seq !== ack.seq) {
      lost.push(`${ack.opId}: acked ${ack.canvasId}#${ack.seq}, stored ${row.canvasId}#${row.seq}`)
    }
  }
  return lost
}

export interface Tmpfs {
  path: string
  /** Unmounts and removes the mount point; safe to call twice. */
  remove(): void
}

/**
 * A tmpfs of `sizeBytes` mounted on a fresh directory under `parent` [D5]. Needs root (CI runs
 * the tests as root); anywhere else this fails saying so, rather than skipping.
 */
export function mountTmpfs(parent: string, sizeBytes: number): Tmpfs {
  const mountPoint = fs.mkdtempSync(path.join(parent, 'tmpfs-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', mountPoint], {
    encoding: 'utf8',
  })
  if (mounted.error !== undefined || mounted.status !== 0) {
    fs.rmSync(mountPoint, { recursive: true, force: true })
    throw new Error(
      `[D5] needs a small tmpfs for the data directory and could not mount one ` +
        `(mount -t tmpfs -o size=${sizeBytes} tmpfs ${mountPoint}: ${String(
          mounted.error ?? mounted.stderr.trim(),
        )}). Run the tests as root, or in a container with CAP_SYS_ADMIN, as .ci/run does.`,
    )
  }
  let removed = false
  return {
    path: mountPoint,
    remove() {
      if (removed) return
      removed = true
      const unmounted = spawnSync('umount', [mountPoint], { encoding: 'utf8' })
      if (unmounted.status !== 0) throw new Error(`umount ${mountPoint}: ${unmounted.stderr.trim()}`)
      fs.rmSync(mountPoint, { recursive: true, force: true })
    },
  }
}

/** Fails, saying how to get it, when fiu-run (libfiu) is not installed (style: never skip). */
export function requireFiuRun(): void {
  const preload = '/usr/lib/fiu/fiu_posix_preload.so'
  const probe = spawnSync('fiu-run', ['-x', 'true'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0 || !fs.existsSync(preload)) {
    throw new Error(
      `fiu-run (libfiu) is required for the I/O-error test [D4] and is not runnable ` +
        `(${String(probe.error ?? (probe.stderr.trim() || `${preload} missing`))}): install it with ` +
        '`apt-get install -y fiu-utils` (.ci/run does)',
    )
  }
}

/** A RegExp matching `text` literally. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { createCanvas, registerUser, type TestUser } from '../support/fixtures.js'
import { OpWriter, type ReceivedAck } from '../support/opWriter.js'
import { seededRandom } from '../support/seededRandom.js'
import { killAndWait, type Exit } from '../support/serverProcess.js'
import {
  lostAcks,
  readStoredLog,
  requireFiuRun,
  startServer,
  type ServerRun,
} from '../support/storageFaults.js'
import { tempDir } from '../support/tempDir.js'

// I/O errors under the server [D4] (../shared/reliability.md): the built server runs under
// fiu-run (libfiu), whose POSIX preload makes fsync and fdatasync fail on demand: at random with
// p = 0.01 and 0.1 (switched on at run time with fiu-ctrl), and exactly once at the N-th sync
// call for N = 1..20 (test/support/native/nthFsync.c, armed through a file). A failed sync fails
// the commit (SQLITE_IOERR_FSYNC): its ops must be refused, never acked, and the server must go on.
//
// Writes are not failed: SQLite writes its files with pwrite64, which the preload did not fail
// under Node (0 failures at p = 0.05 over 200 commits, measured), and posix/io/rw/write would
// also fail the server's sockets and its log on stdout rather than storage.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const FIU_LIBS = ['/usr/lib/fiu/fiu_run_preload.so', '/usr/lib/fiu/fiu_posix_preload.so']
const SYNC_POINTS = 'posix/io/sync/*'
const RANDOM_PHASES = [
  { probability: 0.01, ops: 400 },
  { probability: 0.1, ops: 200 },
]
const NTH = { from: 1, to: 20 }

/** Builds the N-th-sync preload into `dir` with the system C compiler (CI has one: better-sqlite3 builds from source). */
function buildNthFsync(dir: string): string {
  const source = fileURLToPath(new URL('../support/native/nthFsync.c', import.meta.url))
  const out = path.join(dir, 'nthFsync.so')
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', out, source, '-lfiu'], {
    encoding: 'utf8',
  })
  if (cc.error !== undefined || cc.status !== 0) {
    throw new Error(
      `[D4] could not build ${source} (${String(cc.error ?? cc.stderr.trim())}): it needs a C compiler ` +
        'and libfiu (apt-get install -y build-essential fiu-utils)',
    )
  }
  return out
}

function fiuCtrl(fifoPrefix: string, pid: number, command: string): void {
  const ctrl = spawnSync('fiu-ctrl', ['-f', fifoPrefix, '-c', command, String(pid)], {
    encoding: 'utf8',
    timeout: 10_000,
  })
  if (ctrl.status !== 0)
    throw new Error(`fiu-ctrl -c '${command}' ${pid}: ${ctrl.stderr || String(ctrl.error)}`)
}

describe('I/O errors', () => {
  it('[D4] when fsync/fdatasync fail at random (p = 0.01, then 0.1) and then exactly at the N-th sync for N = 1..20, then every op that failed is refused and never acked, every acked op survives a restart with its seq, the server stays up (or exits cleanly and restarts), and integrity_check is ok', async () => {
    requireFiuRun()
    const dir = tempDir('collabcanvas-d4-')
    cleanups.push(() => dir.remove())
    const dataDir = path.join(dir.path, 'data')
    const fifoPrefix = path.join(dir.path, 'fiu-ctrl')
    const armFile = path.join(dir.path, 'arm')
    const firedFile = path.join(dir.path, 'fired')
    const nthFsync = buildNthFsync(dir.path)
    // Two setups, one server at a time: fiu-ctrl's enable/disable of posix/io/sync/* would replace
    // the preload's own point of that name. For the N-th sync, fiu-run sets LD_PRELOAD to its
    // libraries and execs `env`, which adds ours and execs node.
    const setups = {
      random: { wrapper: ['fiu-run', '-x', '-f', fifoPrefix], env: { FIU_PRNG_SEED: '4' } },
      nth: {
        wrapper: [
          'fiu-run',
          '-x',
          '-f',
          fifoPrefix,
          'env',
          `LD_PRELOAD=${[...FIU_LIBS, nthFsync].join(' ')}`,
        ],
        env: { NTH_FSYNC_ARM: armFile, NTH_FSYNC_FIRED: firedFile },
      },
    }
    let setup: keyof typeof setups = 'random'

    let run: ServerRun | undefined
    cleanups.push(async () => {
      if (run) await killAndWait(run.cli.child, run.cli.exited)
    })
    const exits: Exit[] = []
    /** The server under fiu-run in the current setup; started again when a fault made it exit. */
    const server = async (): Promise<ServerRun> => {
      if (run !== undefined && run.cli.child.exitCode === null && run.cli.child.signalCode === null)
        return run
      if (run !== undefined) exits.push(await run.cli.exited)
      run = await startServer(dataDir, setups[setup])
      return run
    }

    const first = await server()
    const api = fetchClient(first.baseUrl)
    const owner: TestUser = await registerUser(api, { username: 'd4 owner' })
    const canvasId = (await createCanvas(api, owner, 'd4 canvas')).id

    const acked: ReceivedAck[] = []
    const errors: Record<string, number> = {}
    const unexpectedAcks: string[] = []
    let sent = 0
    let unanswered = 0
    let knownObjects: string[] = []
    let writerCount = 0
    const write = async (ops: number, window: number): Promise<void> => {
      const { baseUrl } = await server()
      writerCount += 1
      const writer = await OpWriter.connect({
        baseUrl,
        canvasId,
        token: owner.token,
        opIdPrefix: `d4-w${String(writerCount).padStart(3, '0')}`,
        window,
        opsPerSec: 400,
        maxOps: ops,
        random: seededRandom(writerCount),
        knownObjects,
      })
      cleanups.push(() => writer.close())
      writer.start()
      await writer.done
      writer.close()
      sent += writer.stats.sent
      unanswered +=
        writer.stats.sent - writer.stats.acked - Object.values(writer.stats.errors).reduce((a, b) => a + b, 0)
      acked.push(...writer.acks)
      unexpectedAcks.push(...writer.stats.unexpectedAcks)
      for (const [code, n] of Object.entries(writer.stats.errors)) errors[code] = (errors[code] ?? 0) + n
      knownObjects = writer.ackedObjects()
    }

    const phases: string[] = []
    for (const { probability, ops } of RANDOM_PHASES) {
      const { cli } = await server()
      const pid = cli.child.pid as number
      fiuCtrl(fifoPrefix, pid, `enable_random name=${SYNC_POINTS},probability=${probability},failinfo=5`)
      const before = errors.storage_unavailable ?? 0
      await write(ops, 8)
      if (cli.child.exitCode === null) fiuCtrl(fifoPrefix, pid, `disable name=${SYNC_POINTS}`)
      phases.push(`p=${probability}: ${(errors.storage_unavailable ?? 0) - before} refused`)
    }

    // From random faults to the N-th sync: a graceful stop, then the other setup.
    const randomRun = await server()
    const stopped = await killAndWait(randomRun.cli.child, randomRun.cli.exited, 'SIGTERM')
    expect(stopped, 'the graceful stop after the random faults').toEqual({ code: 0, signal: null })
    run = undefined
    setup = 'nth'
    const fired: string[] = []
    for (let n = NTH.from; n <= NTH.to; n++) {
      await server()
      fs.rmSync(firedFile, { force: true })
      fs.writeFileSync(armFile, String(n))
      // One op at a time: each commit is at least one sync, so 2n + 5 ops pass the n-th.
      await write(2 * n + 5, 1)
      expect(fs.existsSync(armFile), `N=${n}: the preload never read its arm file`).toBe(false)
      if (fs.existsSync(firedFile)) fired.push(String(n))
    }
    phases.push(
      `N-th sync failed for N in ${fired.length === NTH.to ? `${NTH.from}..${NTH.to}` : fired.join(',')}`,
    )

    // A crash now, then a restart without faults: the log is what the file holds.
    const last = await server()
    const alive = last.cli.child.exitCode === null
    await killAndWait(last.cli.child, last.cli.exited)
    run = await startServer(dataDir)
    const state = await fetchClient(run.baseUrl).send<{ seq: number }>({
      method: 'GET',
      url: `/api/canvases/${canvasId}/state`,
      token: owner.token,
    })
    expect(state.status, state.text).toBe(200)
    await killAndWait(run.cli.child, run.cli.exited, 'SIGTERM')
    run = undefined
    const stored = readStoredLog(dataDir)

    process.stdout.write(
      `[D4] ${sent} ops sent, ${acked.length} acked, errors ${JSON.stringify(errors)}, ${unanswered} unanswered; ` +
        `${phases.join('; ')}; server exits during the run: ${JSON.stringify(exits)}, alive at the end: ${alive}; ` +
        `${stored.ops.size} ops in the log after restart\n`,
    )
    expect(lostAcks(acked, stored), 'acked ops missing from the log or with another seq').toEqual([])
    expect(unexpectedAcks, 'an op acked after its error, or twice').toEqual([])
    expect(stored.integrity).toBe('ok')
    expect(stored.seqProblems).toEqual([])
    expect(state.body.seq).toBe(Math.max(...[...stored.ops.values()].map((o) => o.seq)))
    // The faults hit commits, and were reported as such, never as anything else.
    expect(errors.storage_unavailable ?? 0).toBeGreaterThan(0)
    expect(
      Object.keys(errors).filter(
        (code) =>
          code !== 'storage_unavailable' &&
          code !== 'rate_limited' &&
          code !== 'not_found_after_refused_create',
      ),
    ).toEqual([])
    expect(fired, 'the N-th sync failures that happened').toHaveLength(NTH.to - NTH.from + 1)
    // Exits, if any, were the server's own (an exit code), never a crash by signal.
    for (const exit of exits) expect(exit.signal).toBeNull()
  }, 150_000)
})

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { freePort, requireBuiltCli, watchOutput, type Exit } from './cli.js'

/**
 * Server child processes for fault-injection tests [D1][D3]: waiting for /health, killing and
 * reaping, and the CLI run under strace.
 */

export type { Exit }

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/**
 * Polls `GET /health` until it answers 200. Fails at once when the process exits first, and after
 * `timeoutMs` otherwise, with `describe()` (its output) in the message.
 */
export async function waitForHealth(
  baseUrl: string,
  child: ChildProcess,
  describe: () => string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: string
  for (;;) {
    if (hasExited(child)) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before /health\n${describe()}`)
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) })
      if (res.status === 200) return
      last = `${res.status} ${await res.text()}`
    } catch (err) {
      last = String(err)
    }
    if (Date.now() > deadline) {
      throw new Error(`no 200 from ${baseUrl}/health within ${timeoutMs} ms (last: ${last})\n${describe()}`)
    }
    // The poll interval of a readiness probe, not a synchronisation sleep: the server tells us when it is up.
    await delay(20)
  }
}

/** The line Fastify logs (at info) once the server listens: proof that this process owns the port. */
export function listeningMessage(port: number): string {
  return `Server listening at http://127.0.0.1:${port}`
}

/**
 * Starts a server on a port from freePort() and resolves once that very process says it listens
 * there. A /health answer alone cannot prove that: freePort releases the port before the server
 * binds it, and on a busy machine another process may take it meanwhile, so our server fails
 * with EADDRINUSE while the other one answers /health. That case is retried on a new port.
 */
export async function startOnFreePort<T>(options: {
  start(port: number): T
  /** Resolves when the server logged listeningMessage(port); rejects when it exited first. */
  listening(server: T, port: number): Promise<unknown>
  /** Reaps a server that failed to start. */
  stop(server: T): Promise<unknown>
  output(server: T): string
  attempts?: number
  /** Tried first (a restarted instance keeps its address); then ports from freePort(). */
  firstPort?: number
}): Promise<{ server: T; port: number; baseUrl: string }> {
  const attempts = options.attempts ?? 5
  for (let attempt = 1; ; attempt++) {
    const port = attempt === 1 && options.firstPort !== undefined ? options.firstPort : await freePort()
    const server = options.start(port)
    try {
      await options.listening(server, port)
      return { server, port, baseUrl: `http://127.0.0.1:${port}` }
    } catch (err) {
      await options.stop(server)
      if (attempt < attempts && options.output(server).includes('EADDRINUSE')) continue
      throw err
    }
  }
}

/** Sends `signal` unless the process is gone, and resolves once it has exited. */
export async function killAndWait(
  child: ChildProcess,
  exited: Promise<Exit>,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<Exit> {
  if (!hasExited(child)) child.kill(signal)
  return exited
}

/** Signals a process we know only by pid (the server under strace); false when it is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw err
  }
}

/** Fails, saying how to get it, when strace is not installed (style: never skip). */
export function requireStrace(): string {
  const probe = spawnSync('strace', ['-V'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `strace is required for the fsync-before-ack test [D3] and is not runnable (${String(
        probe.error ?? probe.stderr,
      )}): install it with \`apt-get install -y strace\` (.ci/run does)`,
    )
  }
  return probe.stdout.split('\n')[0] ?? 'strace'
}

export interface TracedCli {
  /** The strace process; the server is its child. */
  strace: ChildProcess
  /** strace's exit, which follows the server's. */
  exited: Promise<Exit>
  stdout(): string
  stderr(): string
  /** The first JSON log line of the server whose `msg` is `msg`, parsed. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>
  /** SIGKILLs the server (strace then exits with the trace complete) and resolves with strace's exit. */
  kill(): Promise<Exit>
}

/**
 * `strace -f … -o traceFile node dist/server/main.js <args>`: the server with every thread's
 * `syscalls` recorded. Strings are printed in hex (`-xx`) up to `stringLimit` bytes, so socket
 * and WAL buffers can be decoded exactly. The server's stdout and stderr come through strace.
 */
export function startTracedCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { traceFile: string; syscalls: readonly string[]; stringLimit?: number },
): TracedCli {
  const straceArgs = [
    '-f',
    // Only the traced syscalls stop the process: much less slowdown than plain ptrace.
    '--seccomp-bpf',
    '-tt',
    '-xx',
    '-s',
    String(options.stringLimit ?? 65_536),
    '-e',
    `trace=${options.syscalls.join(',')}`,
    '-o',
    options.traceFile,
    process.execPath,
    requireBuiltCli(),
    ...args,
  ]
  const strace = spawn('strace', straceArgs, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = watchOutput(strace)
  const { exited } = output
  return {
    strace,
    exited,
    stdout: output.stdout,
    stderr: output.stderr,
    async kill() {
      if (hasExited(strace)) return exited
      const children = childPids(strace.pid)
      // Before strace has forked there is no server yet: stop strace itself.
      if (children.length === 0) strace.kill('SIGKILL')
      for (const pid of children) signalPid(pid)
      return exited
    },
    waitForLog: (msg, timeoutMs = 20_000) =>
      output.waitFor(
        // Complete lines only: the last one may still be arriving.
        (stdout) =>
          stdout
            .split('\n')
            .slice(0, -1)
            .map(parseLogLine)
            .find((entry) => entry?.msg === msg),
        `the log line ${JSON.stringify(msg)}`,
        timeoutMs,
      ),
  }
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** The children of a process (Linux /proc); none when it is gone. */
function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return []
  try {
    const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    return text.split(' ').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

/** The compiled CLI; `npm test` builds before running Vitest. */
export const MAIN_JS = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url))

export function requireBuiltCli(): string {
  if (!fs.existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first (npm test does)`)
  }
  return MAIN_JS
}

/** A clean environment: only what the CLI needs plus the test's variables. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }
}

export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the first stdout line matching, or rejects after `timeoutMs` with what arrived. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>
  exited: Promise<Exit>
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null }

/** A child's output, collected as it arrives, and a way to wait for something in it. */
export interface WatchedOutput {
  stdout: () => string
  stderr: () => string
  exited: Promise<Exit>
  /**
   * Resolves with the first non-undefined `find(stdout)`, checked whenever output arrives;
   * rejects when the child exits first or after `timeoutMs`, with the output's tail.
   */
  waitFor<T>(find: (stdout: string) => T | undefined, what: string, timeoutMs: number): Promise<T>
}

export function watchOutput(child: ChildProcess): WatchedOutput {
  let stdout = ''
  let stderr = ''
  const waiters = new Set<() => void>()
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const check of waiters) check()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const check of waiters) check()
      resolve({ code, signal })
    })
  })
  const describe = () => `stdout: ${stdout.slice(-4_000)}\nstderr: ${stderr.slice(-4_000)}`
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(find, what, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = find(stdout)
          if (found !== undefined) {
            cleanup()
            resolve(found)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup()
            reject(new Error(`process exited before ${what}\n${describe()}`))
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`no ${what} within ${timeoutMs} ms\n${describe()}`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}

/**
 * `node dist/server/main.js <args>`; with `wrapper`, that command line runs under it (e.g.
 * `['fiu-run', '-x', …]`), which must exec it so the server keeps the wrapper's pid.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { wrapper?: readonly string[] } = {},
): CliProcess {
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath]
  const child = spawn(command, [...prefix, requireBuiltCli(), ...args], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = watchOutput(child)
  return {
    child,
    stdout: output.stdout,
    stderr: output.stderr,
    exited: output.exited,
    waitForStdout: (pattern, timeoutMs = 10_000) =>
      output.waitFor((stdout) => stdout.split('\n').find((l) => pattern.test(l)), String(pattern), timeoutMs),
  }
}

/** Runs the CLI to completion. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const cli = startCli(args, env)
  const { code, signal } = await cli.exited
  return { code, signal, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** A port nothing listens on right now: bind port 0, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        reject(new Error('no port'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}

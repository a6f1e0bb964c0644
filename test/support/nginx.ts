import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, watchOutput, type WatchedOutput } from './cli.js'

/** The configuration operators run (deploy/nginx.conf); tests render it with their own ports. */
export const NGINX_TEMPLATE = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url))

const UPSTREAM = /^([ \t]*)# upstream-servers:begin\n[\s\S]*?^[ \t]*# upstream-servers:end$/m
const LISTEN = /^([ \t]*)listen \S+; # listen-port$/m

/**
 * deploy/nginx.conf with the marked lines replaced: the upstream servers (`host:port` each) and
 * the listen address. Everything else (timeouts, headers, balancing) is what operators get.
 * Fails when a marker is missing, so the template and this renderer cannot drift apart silently.
 */
export function renderNginxConf(
  template: string,
  options: { listen: string; upstreams: readonly string[]; workerProcesses?: number },
): string {
  if (!UPSTREAM.test(template) || !LISTEN.test(template)) {
    throw new Error(
      'deploy/nginx.conf lost its "# upstream-servers:begin/end" or "listen …; # listen-port" markers',
    )
  }
  if (options.upstreams.length === 0) throw new Error('nginx needs at least one upstream server')
  let conf = template
    .replace(UPSTREAM, (_all, indent: string) =>
      options.upstreams.map((u) => `${indent}server ${u} max_fails=1 fail_timeout=5s;`).join('\n'),
    )
    .replace(LISTEN, (_all, indent: string) => `${indent}listen ${options.listen};`)
  if (options.workerProcesses !== undefined) {
    conf = conf.replace(/^worker_processes \S+;$/m, `worker_processes ${options.workerProcesses};`)
  }
  return conf
}

/** Fails, saying how to get it, when nginx is not installed (style: never skip). */
export function requireNginx(): string {
  const probe = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `nginx is required for the multi-instance tests and is not runnable (${String(
        probe.error ?? probe.stderr,
      )}): install it with \`apt-get install -y nginx\` (.ci/run does)`,
    )
  }
  return probe.stderr.trim()
}

export interface Nginx {
  /** `http://127.0.0.1:<port>`: the deployment's one address. */
  baseUrl: string
  port: number
  /** The prefix directory: nginx.conf, nginx.pid, logs/error.log, logs/access.log. */
  prefix: string
  process: ChildProcess
  /** Lines of logs/access.log so far. */
  accessLog(): string[]
  errorLog(): string
  /** Points nginx at other upstreams (a graceful reload: open sockets stay where they are). */
  reload(upstreams: readonly string[]): Promise<void>
  /** Fast shutdown (SIGTERM) and wait: open proxied sockets are closed. */
  stop(): Promise<void>
}

function readIfThere(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/**
 * A real nginx in the foreground (`nginx -p <prefix> -c <prefix>/nginx.conf -g 'daemon off;'`)
 * on a free loopback port in front of `upstreams`, resolved once GET /health answers 200
 * through it. Its pid file, logs and scratch directories live in `prefix`. A port taken between
 * freePort() and nginx's bind is retried on a new one.
 */
export async function startNginx(options: {
  prefix: string
  upstreams: readonly string[]
  attempts?: number
}): Promise<Nginx> {
  requireNginx()
  const { prefix } = options
  for (const dir of ['logs', 'tmp']) fs.mkdirSync(path.join(prefix, dir), { recursive: true })
  // Run as root, nginx's workers drop to `nobody`: they must reach tmp/ under the prefix.
  fs.chmodSync(prefix, 0o755)
  const confFile = path.join(prefix, 'nginx.conf')
  const errorLogFile = path.join(prefix, 'logs', 'error.log')
  const template = fs.readFileSync(NGINX_TEMPLATE, 'utf8')
  const attempts = options.attempts ?? 5
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const render = (upstreams: readonly string[]) =>
      fs.writeFileSync(
        confFile,
        renderNginxConf(template, { listen: `127.0.0.1:${port}`, upstreams, workerProcesses: 1 }),
      )
    render(options.upstreams)
    const child = spawn(
      'nginx',
      ['-p', `${prefix}/`, '-c', confFile, '-e', errorLogFile, '-g', 'daemon off;'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const output = watchOutput(child)
    const baseUrl = `http://127.0.0.1:${port}`
    try {
      await waitForProxy(baseUrl, child, output, errorLogFile)
    } catch (err) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await output.exited
      if (attempt < attempts && readIfThere(errorLogFile).includes('Address already in use')) continue
      throw err
    }
    return {
      baseUrl,
      port,
      prefix,
      process: child,
      accessLog: () =>
        readIfThere(path.join(prefix, 'logs', 'access.log'))
          .split('\n')
          .filter((l) => l !== ''),
      errorLog: () => readIfThere(errorLogFile),
      async reload(upstreams) {
        render(upstreams)
        const check = spawnSync('nginx', ['-t', '-p', `${prefix}/`, '-c', confFile, '-e', errorLogFile], {
          encoding: 'utf8',
        })
        if (check.status !== 0) throw new Error(`nginx -t failed: ${check.stderr}`)
        child.kill('SIGHUP')
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
        await output.exited
      },
    }
  }
}

/**
 * Polls GET /health through nginx until an instance answers 200 (nginx prints nothing when it
 * is ready, so readiness is polled, as for the servers in serverProcess.ts).
 */
async function waitForProxy(
  baseUrl: string,
  child: ChildProcess,
  output: WatchedOutput,
  errorLogFile: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: string
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `nginx exited (${child.exitCode ?? child.signalCode}) before serving\n${output.stderr()}\n${readIfThere(errorLogFile)}`,
      )
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) })
      if (res.status === 200) return
      last = `${res.status} ${await res.text()}`
    } catch (err) {
      last = String(err)
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no 200 from ${baseUrl}/health within ${timeoutMs} ms (last: ${last})\n${readIfThere(errorLogFile)}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

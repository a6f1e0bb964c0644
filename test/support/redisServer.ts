import { spawn, spawnSync } from 'node:child_process'
import { freePort, watchOutput, type WatchedOutput } from './cli.js'

/**
 * A Redis of the test's own (`redis-server` on a free loopback port, nothing persisted), for
 * the tests that restart or flush Redis [M2]: the machine's Redis is shared with other tests.
 */
export interface RedisServer {
  url: string
  port: number
  /** SIGKILL, then a new empty server on the same port (a crash and restart, data gone). */
  restart(): Promise<void>
  /** Down until `start()`: connections reset, new ones refused. */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

function requireRedisServer(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `redis-server is required for the Redis fault tests and is not runnable (${String(
        probe.error ?? probe.stderr,
      )}): install it with \`apt-get install -y redis-server\` (.ci/run does)`,
    )
  }
}

export async function startRedisServer(): Promise<RedisServer> {
  requireRedisServer()
  let port = await freePort()
  let current: { output: WatchedOutput; kill(): void } | undefined

  const launch = async (attempts = 5): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      const output = watchOutput(child)
      try {
        await output.waitFor(
          (stdout) => (stdout.includes('Ready to accept connections') ? true : undefined),
          'redis-server ready',
          10_000,
        )
        current = { output, kill: () => child.kill('SIGKILL') }
        return
      } catch (err) {
        child.kill('SIGKILL')
        await output.exited
        if (attempt < attempts && output.stdout().includes('Address already in use')) {
          port = await freePort()
          continue
        }
        throw err
      }
    }
  }
  const kill = async () => {
    const running = current
    current = undefined
    if (!running) return
    running.kill()
    await running.output.exited
  }

  await launch()
  return {
    get url() {
      return `redis://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    async restart() {
      await kill()
      // Same port: the instances reconnect to the address they were given.
      await launch(1)
    },
    kill,
    start: () => launch(1),
    stop: kill,
  }
}

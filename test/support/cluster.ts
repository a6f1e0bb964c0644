import fs from 'node:fs'
import path from 'node:path'
import { runCli, startCli, type CliProcess, type Exit } from './cli.js'
import { startNginx, type Nginx } from './nginx.js'
import { createTestSchema, type TestSchema } from './postgres.js'
import { testRedisUrl } from './redis.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from './serverProcess.js'
import { tempDir } from './tempDir.js'

/**
 * A deployment of several `collabcanvas serve` processes (the built dist/server/main.js) on
 * 127.0.0.1 behind a real nginx rendered from deploy/nginx.conf, as docs/scaling.md runs it:
 * - `sqlite`: BUS=sqlite, every instance on one shared DATA_DIR;
 * - `redis`: BUS=redis, DATABASE_URL (a fresh schema unless given) and REDIS_URL.
 * Instances can be killed, paused and restarted on their port; `stop` reaps everything.
 */

export type ClusterBus = 'sqlite' | 'redis'

export interface ClusterOptions {
  bus: ClusterBus
  instances: number
  /** Added to every instance's environment (tunables such as poll intervals). */
  env?: Record<string, string>
  /** Added to instance `index`'s environment after `env` (e.g. REDIS_URL through a fault proxy). */
  instanceEnv?: (index: number) => Record<string, string>
  /** `redis`: the PostgreSQL URL; default a new schema of DATABASE_URL, dropped by `stop`. */
  databaseUrl?: string
  /** `redis`: the Redis URL; default REDIS_URL or the machine's Redis (test/support/redis.ts). */
  redisUrl?: string
  /** Start nginx in front (default true). */
  nginx?: boolean
}

export interface ClusterInstance {
  readonly index: number
  /** `http://127.0.0.1:<port>` of this instance alone, bypassing nginx. */
  readonly baseUrl: string
  readonly port: number
  readonly pid: number
  readonly cli: CliProcess
  /** Whether the process is running (false after kill, until restart). */
  alive(): boolean
  output(): string
}

export interface Cluster {
  readonly bus: ClusterBus
  /** nginx's address: what clients use. Throws when started without nginx. */
  readonly baseUrl: string
  readonly nginx: Nginx | undefined
  readonly instances: ClusterInstance[]
  readonly dataDir: string
  readonly databaseUrl: string | undefined
  readonly redisUrl: string | undefined
  /** Signals instance `index` (SIGKILL by default) and resolves once it has exited. */
  kill(index: number, signal?: NodeJS.Signals): Promise<Exit>
  /** SIGSTOP / SIGCONT: the process is frozen (its sockets stay open, nothing is answered). */
  pause(index: number): void
  resume(index: number): void
  /** Starts instance `index` again after a kill, on its old port when it is still free. */
  restart(index: number): Promise<ClusterInstance>
  /** The instances' outputs, for failure messages. */
  describe(): string
  stop(): Promise<void>
}

function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}

function hasExited(cli: CliProcess): boolean {
  return cli.child.exitCode !== null || cli.child.signalCode !== null
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (options.instances < 1) throw new Error('a cluster needs at least one instance')
  const dir = tempDir('collabcanvas-cluster-')
  const dataDir = path.join(dir.path, 'data')
  fs.mkdirSync(dataDir)
  let schema: TestSchema | undefined
  let databaseUrl: string | undefined
  let redisUrl: string | undefined
  const slots: (ClusterInstance | undefined)[] = []
  let nginx: Nginx | undefined

  const stop = async () => {
    await nginx?.stop()
    await Promise.all(
      slots.flatMap((instance) => (instance ? [killAndWait(instance.cli.child, instance.cli.exited)] : [])),
    )
    // Only once every connection on the schema is gone (the processes are).
    await schema?.drop()
    dir.remove()
  }

  try {
    if (options.bus === 'redis') {
      redisUrl = options.redisUrl ?? testRedisUrl()
      if (options.databaseUrl === undefined) schema = await createTestSchema()
      databaseUrl = options.databaseUrl ?? schema?.url
    }
    const baseEnv: Record<string, string> = {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      // info: the "Server listening" line proves which process holds the port.
      LOG_LEVEL: 'info',
      BUS: options.bus,
      // nginx (connecting from 127.0.0.1) sets X-Forwarded-For; the instances trust it alone, not
      // the clients, which connect from other loopback addresses in the tests.
      TRUST_PROXY: '127.0.0.1',
      REGISTRATIONS_PER_HOUR: '1000000',
      ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
      ...(redisUrl !== undefined ? { REDIS_URL: redisUrl } : {}),
      ...options.env,
    }
    const envOf = (index: number, port: number) => ({
      ...baseEnv,
      ...options.instanceEnv?.(index),
      PORT: String(port),
    })

    // Migrate once before the instances start, so they do not race to create the schema.
    const migrated = await runCli(['migrate'], envOf(0, 0))
    if (migrated.code !== 0) {
      throw new Error(
        `collabcanvas migrate failed (${migrated.code}):\n${migrated.stdout}\n${migrated.stderr}`,
      )
    }

    const launch = async (index: number, preferredPort?: number): Promise<ClusterInstance> => {
      const { server, port, baseUrl } = await startOnFreePort({
        start: (port) => startCli(['serve'], envOf(index, port)),
        listening: (s, port) => s.waitForStdout(literal(`"msg":"${listeningMessage(port)}"`), 30_000),
        stop: (s) => killAndWait(s.child, s.exited),
        output: (s) => s.stdout() + s.stderr(),
        ...(preferredPort !== undefined ? { firstPort: preferredPort } : {}),
      })
      await waitForHealth(
        baseUrl,
        server.child,
        () => server.stdout().slice(-4_000) + server.stderr().slice(-4_000),
      )
      const instance: ClusterInstance = {
        index,
        baseUrl,
        port,
        pid: server.child.pid as number,
        cli: server,
        alive: () => !hasExited(server),
        output: () => `stdout: ${server.stdout().slice(-3_000)}\nstderr: ${server.stderr().slice(-3_000)}`,
      }
      slots[index] = instance
      return instance
    }

    await Promise.all(Array.from({ length: options.instances }, (_, i) => launch(i)))
    const upstreams = () => slots.map((s) => `127.0.0.1:${(s as ClusterInstance).port}`)
    if (options.nginx !== false) {
      nginx = await startNginx({ prefix: path.join(dir.path, 'nginx'), upstreams: upstreams() })
    }
    const instanceAt = (index: number): ClusterInstance => {
      const instance = slots[index]
      if (!instance) throw new Error(`no instance ${index}`)
      return instance
    }

    return {
      bus: options.bus,
      get baseUrl() {
        if (!nginx) throw new Error('this cluster runs without nginx')
        return nginx.baseUrl
      },
      nginx,
      get instances() {
        return slots.map((_, i) => instanceAt(i))
      },
      dataDir,
      databaseUrl,
      redisUrl,
      kill: (index, signal = 'SIGKILL') => {
        const { cli } = instanceAt(index)
        return killAndWait(cli.child, cli.exited, signal)
      },
      pause: (index) => instanceAt(index).cli.child.kill('SIGSTOP'),
      resume: (index) => instanceAt(index).cli.child.kill('SIGCONT'),
      async restart(index) {
        const old = instanceAt(index)
        if (old.alive()) throw new Error(`instance ${index} is still running: kill it first`)
        const instance = await launch(index, old.port)
        if (instance.port !== old.port) await nginx?.reload(upstreams())
        return instance
      },
      describe: () =>
        slots
          .map((s, i) => `--- instance ${i} (port ${s?.port}):\n${s?.output() ?? 'not started'}`)
          .join('\n') + (nginx ? `\n--- nginx error log:\n${nginx.errorLog().slice(-3_000)}` : ''),
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

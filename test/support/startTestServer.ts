import type { FastifyInstance } from 'fastify'
import type pino from 'pino'
import { buildApp } from '../../src/server/app.js'
import { loadConfig, type Config, type Env } from '../../src/server/config.js'
import { createDeps, createLogger, migrateDatabase, type Deps } from '../../src/server/deps.js'
import type { RealtimeLimits } from '../../src/server/realtime/realtimeLimits.js'
import { fetchClient, injectClient, type ApiClient } from './apiClient.js'
import { testClock, type TestClock } from './clock.js'
import { tempDir } from './tempDir.js'

export interface TestServer {
  /** `http://127.0.0.1:<port>`: also the origin a browser on our own page would send. */
  baseUrl: string
  app: FastifyInstance
  deps: Deps
  config: Readonly<Config>
  clock: TestClock
  dataDir: string
  /** Over a real socket. */
  http: ApiClient
  /** Through app.inject, for choosing the client IP. */
  inject: ApiClient
  close(): Promise<void>
}

export interface TestServerOptions {
  /** Extra environment variables on top of the test defaults. */
  env?: Env
  clock?: TestClock
  /** Where the server logs go; silent when omitted. */
  logDestination?: pino.DestinationStream
  /** Shorter deadlines or smaller caps for realtime tests. */
  realtimeLimits?: Partial<RealtimeLimits>
  /** Reuse a data directory (a restart); it is then not deleted on close. */
  dataDir?: string
  /** How often expired sessions are purged (default 10 minutes). */
  sessionPurgeIntervalMs?: number
  /** Runs before each WebSocket message is handled; throw or reject to simulate a handler bug [W10]. */
  beforeHandle?: (type: string) => void | Promise<void>
  /** Where the built web app is (default `<repo>/dist/web`, which exists only after a build). */
  webRoot?: string
  /** OpenID Connect overrides: discovery retries, JWKS cooldown. */
  oidc?: { discoveryRetryMs?: readonly number[]; jwksCooldownMs?: number; jwksMaxAgeMs?: number }
  /** Triggers API overrides: retry schedule, host resolution, poll intervals. */
  triggers?: Parameters<typeof createDeps>[1] extends infer O
    ? O extends { triggers?: infer T }
      ? T
      : never
    : never
}

/**
 * A real app on a real SQLite file in a fresh temp dir (PostgreSQL when `env.DATABASE_URL` is set),
 * listening on 127.0.0.1 port 0.
 * `close()` stops it, closes the database and deletes the directory.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dataDir !== undefined ? { path: options.dataDir, remove: () => {} } : tempDir()
  const clock = options.clock ?? testClock()
  const config = loadConfig({
    DATA_DIR: dir.path,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: options.logDestination ? 'debug' : 'silent',
    // Test files register hundreds of accounts from 127.0.0.1; the limit's own test lowers it.
    REGISTRATIONS_PER_HOUR: '1000000',
    ...options.env,
  })
  const logger = options.logDestination ? createLogger(config, options.logDestination) : undefined
  // As main.ts does: PostgreSQL (env DATABASE_URL, a test schema) is migrated before createDeps.
  if (config.databaseUrl !== undefined) await migrateDatabase(config, logger)
  const deps: Deps = {
    ...createDeps(config, {
      now: clock.now,
      ...(logger ? { logger } : {}),
      ...(options.realtimeLimits ? { realtimeLimits: options.realtimeLimits } : {}),
      ...(options.triggers ? { triggers: options.triggers } : {}),
      ...(options.oidc ? { oidc: options.oidc } : {}),
    }),
    // A test hook, not configuration: set on the deps, never through createDeps.
    ...(options.beforeHandle ? { beforeHandle: options.beforeHandle } : {}),
    ...(options.webRoot !== undefined ? { webRoot: options.webRoot } : {}),
    ...(options.sessionPurgeIntervalMs !== undefined
      ? { sessionPurgeIntervalMs: options.sessionPurgeIntervalMs }
      : {}),
  }
  const app = await buildApp(deps)
  // Port 0 unless the test chose one (env PORT): OIDC tests need PUBLIC_URL before listening.
  await app.listen({ host: '127.0.0.1', port: config.port })
  const address = app.server.address()
  if (address === null || typeof address === 'string')
    throw new Error(`unexpected address ${String(address)}`)
  const baseUrl = `http://127.0.0.1:${address.port}`
  let closed = false
  return {
    baseUrl,
    app,
    deps,
    config,
    clock,
    dataDir: dir.path,
    http: fetchClient(baseUrl),
    inject: injectClient(app),
    async close() {
      if (closed) return
      closed = true
      await app.close()
      await deps.close()
      dir.remove()
    },
  }
}

import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { Redis } from 'ioredis'
import { Accounts } from '../auth/accounts.js'
import { createOidc, type Oidc } from '../auth/oidc/oidc.js'
import { RegistrationThrottle } from '../auth/loginThrottle.js'
import type { CanvasBus } from '../log/canvasBus.js'
import type { SocketCounts } from '../log/socketCounts.js'
import type { OpLog } from '../log/opLog.js'
import { PG_LOG_MIGRATIONS } from '../log/postgres/migrations.js'
import { PostgresOpLog } from '../log/postgres/postgresOpLog.js'
import { SqliteOpLog } from '../log/sqlite/sqliteOpLog.js'
import { LOG_MIGRATIONS } from '../log/sqlite/migrations.js'
import { QUEUE_MIGRATIONS } from '../log/sqlite/queueMigrations.js'
import { migratePostgres } from '../postgres/migrate.js'
import { openPostgres } from '../postgres/openPostgres.js'
import { migrate, type MigrationResult } from '../sqlite/migrate.js'
import { openSqlite, type SqliteDb } from '../sqlite/openSqlite.js'
import { WriteLockGate } from '../sqlite/writeLockGate.js'
import type { CanvasStore } from '../store/canvasStore.js'
import type { IdentityStore } from '../store/identityStore.js'
import type { ImageStore } from '../store/imageStore.js'
import { PG_IMAGE_MIGRATIONS } from '../store/postgres/imageMigrations.js'
import { PostgresImageStore } from '../store/postgres/postgresImageStore.js'
import { IMAGE_MIGRATIONS } from '../store/sqlite/imageMigrations.js'
import { SqliteImageStore } from '../store/sqlite/sqliteImageStore.js'
import type { InviteStore } from '../store/inviteStore.js'
import { PG_STORE_MIGRATIONS } from '../store/postgres/migrations.js'
import { PostgresCanvasStore } from '../store/postgres/postgresCanvasStore.js'
import { PostgresIdentityStore } from '../store/postgres/postgresIdentityStore.js'
import { PostgresInviteStore } from '../store/postgres/postgresInviteStore.js'
import { STORE_MIGRATIONS } from '../store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../store/sqlite/sqliteCanvasStore.js'
import { SqliteIdentityStore } from '../store/sqlite/sqliteIdentityStore.js'
import { SqliteInviteStore } from '../store/sqlite/sqliteInviteStore.js'
import type { CanvasEventSource } from '../triggers/canvasEventSource.js'
import { PG_TRIGGER_MIGRATIONS } from '../triggers/postgres/migrations.js'
import { PostgresTriggerStore } from '../triggers/postgres/postgresTriggerStore.js'
import type { RateLimiter } from '../triggers/rateLimiter.js'
import { PostgresRateLimiter } from '../triggers/postgres/postgresRateLimiter.js'
import { RedisRateLimiter } from '../triggers/redis/redisRateLimiter.js'
import { openRateLimitDb, SqliteRateLimiter } from '../triggers/sqlite/sqliteRateLimiter.js'
import { TRIGGER_MIGRATIONS } from '../triggers/sqlite/migrations.js'
import { SqliteTriggerStore } from '../triggers/sqlite/sqliteTriggerStore.js'
import type { TriggerStore } from '../triggers/triggerStore.js'
import { Triggers, type TriggersOptions } from '../triggers/triggers.js'
import { createDeployment } from './busSetup.js'
import type { Config } from './config.js'
import { createMetrics, type Metrics } from './metrics.js'
import { PostgresInstanceStats, SqliteInstanceStats, type InstanceStats } from './ops/instanceStats.js'
import { OPS_MIGRATIONS, PG_OPS_MIGRATIONS } from './ops/opsMigrations.js'
import { PostgresUserDisables, SqliteUserDisables, type UserDisables } from './ops/userDisables.js'
import type { RealtimeLimits } from './realtime/realtimeLimits.js'

/** Everything the app needs, chosen from the config; the only place adapters are picked. */
export interface Deps {
  config: Readonly<Config>
  logger: FastifyBaseLogger
  now: () => number
  store: CanvasStore
  /** Invitations by email and share links; same database as `store`. */
  invites: InviteStore
  /** Sign-in identities from the OpenID Connect provider; same database as `store`. */
  identities: IdentityStore
  /** Images placed on canvases (src/store/imageStore.ts); same database as `store`. */
  images: ImageStore
  /** OpenID Connect (src/auth/oidc), when OIDC_ISSUER_URL is set. */
  oidc: Oidc | undefined
  accounts: Accounts
  opLog: OpLog
  /** How commits and canvas changes reach every room of the canvas, here and elsewhere. */
  bus: CanvasBus
  /** Open sockets per user over every instance (the per-user cap); unset: this process's. */
  socketCounts?: SocketCounts
  metrics: Metrics
  /** The Triggers API: keys, events, webhooks, canvas events (src/triggers). */
  triggers: Triggers
  /** Token buckets every instance shares [RL1]: API keys' and users' AI commands (src/ai/aiQuota.ts). */
  rateLimiter: RateLimiter
  /** Each instance's latest live sample, shared through the database (/admin, src/server/ops). */
  instanceStats: InstanceStats
  /** Accounts an operator disabled (`collabcanvas users disable`): every instance ends their sockets. */
  userDisables: UserDisables
  /** Where the built web app is; `<repo>/dist/web` unless a test says otherwise. */
  webRoot?: string
  /** Overrides of the realtime limits (tests shorten deadlines and caps). */
  realtimeLimits?: Partial<RealtimeLimits>
  /** How often expired sessions are purged; tests shorten it. */
  sessionPurgeIntervalMs?: number
  /** Test hook [W10]: runs before each WebSocket message is handled; may throw or reject. Unset in production. */
  beforeHandle?: (type: string) => void | Promise<void>
  close(): Promise<void>
}

export const LOG_REDACTIONS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
]

export function createLogger(
  config: Readonly<Config>,
  destination?: pino.DestinationStream,
): FastifyBaseLogger {
  return pino({ level: config.logLevel, redact: LOG_REDACTIONS }, destination)
}

/**
 * The database's schema: the store's tables, then the log's, which reference canvases, then the
 * triggers', then the message queue's (BUS=sqlite).
 */
export const SQLITE_MIGRATIONS = [
  STORE_MIGRATIONS,
  LOG_MIGRATIONS,
  TRIGGER_MIGRATIONS,
  QUEUE_MIGRATIONS,
  OPS_MIGRATIONS,
  IMAGE_MIGRATIONS,
] as const
/** The same schema, version for version, in PostgreSQL. */
export const PG_MIGRATIONS = [
  PG_STORE_MIGRATIONS,
  PG_LOG_MIGRATIONS,
  PG_TRIGGER_MIGRATIONS,
  PG_OPS_MIGRATIONS,
  PG_IMAGE_MIGRATIONS,
] as const

export function migrateSqlite(db: SqliteDb): MigrationResult {
  return migrate(db, ...SQLITE_MIGRATIONS)
}

/**
 * Brings the configured database to the latest schema: the `migrate` command. With
 * DATABASE_URL the server runs it before createDeps (the PostgreSQL driver is asynchronous);
 * SQLite is migrated inside createDeps.
 */
export async function migrateDatabase(
  config: Readonly<Config>,
  logger: FastifyBaseLogger = createLogger(config),
): Promise<MigrationResult> {
  if (config.databaseUrl === undefined) {
    const db = openSqlite(config.dataDir)
    try {
      return migrateSqlite(db)
    } finally {
      db.close()
    }
  }
  const pool = openPostgres(config.databaseUrl, {
    maxConnections: 1,
    onIdleError: (err) => logger.warn({ err }, 'PostgreSQL connection failed while idle'),
  })
  try {
    return await migratePostgres(pool, ...PG_MIGRATIONS)
  } finally {
    await pool.end()
  }
}

interface Storage {
  store: CanvasStore
  invites: InviteStore
  identities: IdentityStore
  images: ImageStore
  opLog: OpLog
  /** In the log's database, so canvas events are read and written in one transaction [CEV1]. */
  triggerStore: TriggerStore & CanvasEventSource
  /** API key buckets where every instance sees them [RL1] (Redis instead when REDIS_URL is set). */
  rateLimiter: RateLimiter
  instanceStats: InstanceStats
  userDisables: UserDisables
  close(): Promise<void>
}

function openSqliteStorage(config: Readonly<Config>, logger: FastifyBaseLogger, now: () => number): Storage {
  const db = openSqlite(config.dataDir)
  migrateSqlite(db)
  // One connection serves the store and the log: better-sqlite3 is synchronous, so a second
  // connection in this thread would only add lock contention.
  const store = new SqliteCanvasStore(db, now)
  // The op log and the trigger store's event worker write one file: they take turns without
  // the event loop ever sleeping on SQLite's lock (src/sqlite/writeLockHandshake.ts).
  const writeGate = new WriteLockGate()
  const opLog = new SqliteOpLog(db, now, {
    onCheckpointError: (err) => logger.warn({ err }, 'WAL checkpoint failed'),
    writeGate,
  })
  // The durability settings actually in force on the log's connection, for operators and for
  // the fsync-before-ack test, which reads this line at startup and after a restart [D3].
  logger.info(
    {
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      dataDir: config.dataDir,
    },
    'sqlite opened',
  )
  // The trigger store shares the log's database, so the canvas event consumer reads the log and
  // writes events and its position in one transaction [CEV1].
  const triggerStore = new SqliteTriggerStore(db, {
    writeGate,
    eventWorker: {
      busyTimeoutMs: 5000,
      onWorkerFailure: (err, fatal) =>
        fatal
          ? logger.fatal({ err }, 'event commit worker keeps dying: event ingestion is down')
          : logger.error({ err }, 'event commit worker died; restarted'),
    },
  })
  const rateLimiter = new SqliteRateLimiter(openRateLimitDb(config.dataDir))
  return {
    store,
    invites: new SqliteInviteStore(db, now),
    identities: new SqliteIdentityStore(db, now),
    images: new SqliteImageStore(db, now),
    opLog,
    triggerStore,
    rateLimiter,
    instanceStats: new SqliteInstanceStats(db, writeGate),
    userDisables: new SqliteUserDisables(db),
    close: async () => {
      await rateLimiter.close()
      await triggerStore.close()
      await opLog.close()
      await store.close()
      db.close()
    },
  }
}

/** The schema must be migrated already (migrateDatabase): opening connects nothing yet. */
function openPostgresStorage(databaseUrl: string, logger: FastifyBaseLogger, now: () => number): Storage {
  // One pool for the store and the log. An idle connection's failure (a restart, a failover)
  // is logged; the pool replaces the connection, and /health reports the outage meanwhile.
  const pool = openPostgres(databaseUrl, {
    onIdleError: (err) => logger.warn({ err }, 'PostgreSQL connection failed while idle'),
  })
  const store = new PostgresCanvasStore(pool, now)
  const opLog = new PostgresOpLog(pool, now)
  const triggerStore = new PostgresTriggerStore(pool)
  return {
    store,
    invites: new PostgresInviteStore(pool, now),
    identities: new PostgresIdentityStore(pool, now),
    images: new PostgresImageStore(pool, now),
    opLog,
    triggerStore,
    rateLimiter: new PostgresRateLimiter(pool),
    instanceStats: new PostgresInstanceStats(pool),
    userDisables: new PostgresUserDisables(pool),
    close: async () => {
      await triggerStore.close()
      await opLog.close()
      await store.close()
      await pool.end()
    },
  }
}

/**
 * API key buckets in Redis. A command that cannot reach Redis fails after one reconnect (503)
 * instead of waiting for it; the client reconnects by itself, and says so in the log.
 */
function redisRateLimiter(url: string, logger: FastifyBaseLogger): RedisRateLimiter {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', (err: Error) => logger.warn({ err }, 'Redis (rate limits) connection failed'))
  return new RedisRateLimiter(redis)
}

export function createDeps(
  config: Readonly<Config>,
  options: {
    logger?: FastifyBaseLogger
    now?: () => number
    realtimeLimits?: Partial<RealtimeLimits>
    /** Tests shorten the webhook retry schedule, resolve host names themselves, and so on. */
    triggers?: Partial<Omit<TriggersOptions, 'store' | 'canvasEvents' | 'now' | 'logger'>>
    /** Tests shorten the discovery retries and the JWKS cooldown. */
    oidc?: { discoveryRetryMs?: readonly number[]; jwksCooldownMs?: number; jwksMaxAgeMs?: number }
  } = {},
): Deps {
  const now = options.now ?? Date.now
  const logger = options.logger ?? createLogger(config)
  const storage =
    config.databaseUrl === undefined
      ? openSqliteStorage(config, logger, now)
      : openPostgresStorage(config.databaseUrl, logger, now)
  const { store, invites, identities, opLog, triggerStore } = storage
  const metrics = createMetrics()
  const deployment = createDeployment(config, opLog, logger, metrics.registry, now)
  const { bus, socketCounts } = deployment
  const oidc =
    config.oidc === undefined
      ? undefined
      : createOidc(config.oidc, { logger, now, store, identities, ...options.oidc })
  const accounts = new Accounts(store, {
    passwordLogin: config.passwordLogin,
    ...(oidc?.accessTokens ? { accessTokens: oidc.accessTokens } : {}),
    sessionTimeoutSec: config.sessionTimeoutSec,
    now,
    throttle: deployment.loginThrottle,
    deviceCookies: deployment.deviceCookies,
    registrationThrottle: new RegistrationThrottle(config.registrationsPerHour, now),
    maxSessionsPerUser: config.maxSessionsPerUser,
    isDisabled: (userId) => storage.userDisables.isDisabled(userId),
  })
  // A session ended here ends its sockets on every instance, one ended elsewhere here [BUS8].
  accounts.onSessionRevoked((sessionHash, origin) => {
    if (origin === 'here') bus.publishSessionEnded(sessionHash)
  })
  bus.onSessionEnded((sessionHash) => accounts.sessionEndedElsewhere(sessionHash))
  const redisLimiter = config.redisUrl === undefined ? undefined : redisRateLimiter(config.redisUrl, logger)
  const rateLimiter = redisLimiter ?? storage.rateLimiter
  const triggers = new Triggers({
    store: triggerStore,
    canvasEvents: triggerStore,
    limiter: rateLimiter,
    now,
    logger,
    allowPrivateWebhooks: config.allowPrivateWebhooks,
    webhookTimeoutMs: config.webhookTimeoutMs,
    ...(config.webhookRetryDelaysMs
      ? { deliveryPolicy: { retryDelaysMs: config.webhookRetryDelaysMs } }
      : {}),
    ...options.triggers,
  })
  return {
    config,
    logger,
    now,
    store,
    invites,
    identities,
    images: storage.images,
    oidc,
    accounts,
    opLog,
    bus,
    socketCounts,
    metrics,
    triggers,
    rateLimiter,
    instanceStats: storage.instanceStats,
    userDisables: storage.userDisables,
    ...(options.realtimeLimits ? { realtimeLimits: options.realtimeLimits } : {}),
    close: async () => {
      await deployment.close()
      oidc?.close()
      await bus.close()
      await triggers.close()
      await redisLimiter?.close()
      await storage.close()
    },
  }
}

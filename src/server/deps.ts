import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { Accounts } from '../auth/accounts.js'
import { LoginThrottle, RegistrationThrottle } from '../auth/loginThrottle.js'
import type { CanvasBus } from '../log/canvasBus.js'
import { MemoryCanvasBus } from '../log/memory/memoryCanvasBus.js'
import type { OpLog } from '../log/opLog.js'
import { PG_LOG_MIGRATIONS } from '../log/postgres/migrations.js'
import { PostgresOpLog } from '../log/postgres/postgresOpLog.js'
import { SqliteOpLog } from '../log/sqlite/sqliteOpLog.js'
import { LOG_MIGRATIONS } from '../log/sqlite/migrations.js'
import { migratePostgres } from '../postgres/migrate.js'
import { openPostgres } from '../postgres/openPostgres.js'
import { migrate, type MigrationResult } from '../sqlite/migrate.js'
import { openSqlite, type SqliteDb } from '../sqlite/openSqlite.js'
import type { CanvasStore } from '../store/canvasStore.js'
import type { InviteStore } from '../store/inviteStore.js'
import { PG_STORE_MIGRATIONS } from '../store/postgres/migrations.js'
import { PostgresCanvasStore } from '../store/postgres/postgresCanvasStore.js'
import { PostgresInviteStore } from '../store/postgres/postgresInviteStore.js'
import { STORE_MIGRATIONS } from '../store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../store/sqlite/sqliteCanvasStore.js'
import { SqliteInviteStore } from '../store/sqlite/sqliteInviteStore.js'
import type { CanvasEventSource } from '../triggers/canvasEventSource.js'
import { PG_TRIGGER_MIGRATIONS } from '../triggers/postgres/migrations.js'
import { PostgresTriggerStore } from '../triggers/postgres/postgresTriggerStore.js'
import { MemoryRateLimiter } from '../triggers/rateLimiter.js'
import { TRIGGER_MIGRATIONS } from '../triggers/sqlite/migrations.js'
import { SqliteTriggerStore } from '../triggers/sqlite/sqliteTriggerStore.js'
import type { TriggerStore } from '../triggers/triggerStore.js'
import { Triggers, type TriggersOptions } from '../triggers/triggers.js'
import { ConfigError, type Config } from './config.js'
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
  accounts: Accounts
  opLog: OpLog
  /** How commits and canvas changes reach every room of the canvas, here and elsewhere. */
  bus: CanvasBus
  metrics: Metrics
  /** The Triggers API: keys, events, webhooks, canvas events (src/triggers). */
  triggers: Triggers
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

/** The database's schema: the store's tables, then the log's, which reference canvases, then the triggers'. */
export const SQLITE_MIGRATIONS = [
  STORE_MIGRATIONS,
  LOG_MIGRATIONS,
  TRIGGER_MIGRATIONS,
  OPS_MIGRATIONS,
] as const
/** The same schema, version for version, in PostgreSQL. */
export const PG_MIGRATIONS = [
  PG_STORE_MIGRATIONS,
  PG_LOG_MIGRATIONS,
  PG_TRIGGER_MIGRATIONS,
  PG_OPS_MIGRATIONS,
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
  opLog: OpLog
  /** In the log's database, so canvas events are read and written in one transaction [CEV1]. */
  triggerStore: TriggerStore & CanvasEventSource
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
  const opLog = new SqliteOpLog(db, now, {
    onCheckpointError: (err) => logger.warn({ err }, 'WAL checkpoint failed'),
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
  const triggerStore = new SqliteTriggerStore(db)
  return {
    store,
    invites: new SqliteInviteStore(db, now),
    opLog,
    triggerStore,
    instanceStats: new SqliteInstanceStats(db),
    userDisables: new SqliteUserDisables(db),
    close: async () => {
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
    opLog,
    triggerStore,
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

export function createDeps(
  config: Readonly<Config>,
  options: {
    logger?: FastifyBaseLogger
    now?: () => number
    realtimeLimits?: Partial<RealtimeLimits>
    /** Tests shorten the webhook retry schedule, resolve host names themselves, and so on. */
    triggers?: Partial<Omit<TriggersOptions, 'store' | 'canvasEvents' | 'now' | 'logger'>>
  } = {},
): Deps {
  if (config.bus !== 'memory') {
    throw new ConfigError(`BUS=${config.bus} is not available in this version; use BUS=memory (one process)`)
  }
  const now = options.now ?? Date.now
  const logger = options.logger ?? createLogger(config)
  const storage =
    config.databaseUrl === undefined
      ? openSqliteStorage(config, logger, now)
      : openPostgresStorage(config.databaseUrl, logger, now)
  const { store, invites, opLog, triggerStore } = storage
  const accounts = new Accounts(store, {
    sessionTimeoutSec: config.sessionTimeoutSec,
    now,
    throttle: new LoginThrottle(now),
    registrationThrottle: new RegistrationThrottle(config.registrationsPerHour, now),
    maxSessionsPerUser: config.maxSessionsPerUser,
    isDisabled: (userId) => storage.userDisables.isDisabled(userId),
  })
  const bus = new MemoryCanvasBus()
  const triggers = new Triggers({
    store: triggerStore,
    canvasEvents: triggerStore,
    limiter: new MemoryRateLimiter(),
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
    accounts,
    opLog,
    bus,
    metrics: createMetrics(),
    triggers,
    instanceStats: storage.instanceStats,
    userDisables: storage.userDisables,
    ...(options.realtimeLimits ? { realtimeLimits: options.realtimeLimits } : {}),
    close: async () => {
      await bus.close()
      await triggers.close()
      await storage.close()
    },
  }
}

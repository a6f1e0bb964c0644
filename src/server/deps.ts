import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { Accounts } from '../auth/accounts.js'
import { LoginThrottle, RegistrationThrottle } from '../auth/loginThrottle.js'
import type { CanvasBus } from '../log/canvasBus.js'
import { MemoryCanvasBus } from '../log/memory/memoryCanvasBus.js'
import type { OpLog } from '../log/opLog.js'
import { SqliteOpLog } from '../log/sqlite/sqliteOpLog.js'
import { LOG_MIGRATIONS } from '../log/sqlite/migrations.js'
import { migrate, type MigrationResult } from '../sqlite/migrate.js'
import { openSqlite, type SqliteDb } from '../sqlite/openSqlite.js'
import type { CanvasStore } from '../store/canvasStore.js'
import type { InviteStore } from '../store/inviteStore.js'
import { STORE_MIGRATIONS } from '../store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../store/sqlite/sqliteCanvasStore.js'
import { SqliteInviteStore } from '../store/sqlite/sqliteInviteStore.js'
import { ConfigError, type Config } from './config.js'
import { createMetrics, type Metrics } from './metrics.js'
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

/** The database's schema: the store's tables, then the log's, which reference canvases. */
export function migrateSqlite(db: SqliteDb): MigrationResult {
  return migrate(db, STORE_MIGRATIONS, LOG_MIGRATIONS)
}

export function createDeps(
  config: Readonly<Config>,
  options: { logger?: FastifyBaseLogger; now?: () => number; realtimeLimits?: Partial<RealtimeLimits> } = {},
): Deps {
  if (config.databaseUrl !== undefined) {
    throw new ConfigError(
      'DATABASE_URL: PostgreSQL storage is not available in this version; unset it to use SQLite',
    )
  }
  if (config.bus !== 'memory') {
    throw new ConfigError(`BUS=${config.bus} is not available in this version; use BUS=memory (one process)`)
  }
  const now = options.now ?? Date.now
  const logger = options.logger ?? createLogger(config)
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
  const accounts = new Accounts(store, {
    sessionTimeoutSec: config.sessionTimeoutSec,
    now,
    throttle: new LoginThrottle(now),
    registrationThrottle: new RegistrationThrottle(config.registrationsPerHour, now),
    maxSessionsPerUser: config.maxSessionsPerUser,
  })
  const bus = new MemoryCanvasBus()
  return {
    config,
    logger,
    now,
    store,
    invites: new SqliteInviteStore(db, now),
    accounts,
    opLog,
    bus,
    metrics: createMetrics(),
    ...(options.realtimeLimits ? { realtimeLimits: options.realtimeLimits } : {}),
    close: async () => {
      await bus.close()
      await opLog.close()
      await store.close()
      db.close()
    },
  }
}

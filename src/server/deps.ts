import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { Accounts } from '../auth/accounts.js'
import { LoginThrottle } from '../auth/loginThrottle.js'
import type { CanvasStore } from '../store/canvasStore.js'
import { migrate, openSqlite } from '../store/sqlite/openSqlite.js'
import { SqliteCanvasStore } from '../store/sqlite/sqliteCanvasStore.js'
import { ConfigError, type Config } from './config.js'
import { createMetrics, type Metrics } from './metrics.js'

/** Everything the app needs, chosen from the config; the only place adapters are picked. */
export interface Deps {
  config: Readonly<Config>
  logger: FastifyBaseLogger
  now: () => number
  store: CanvasStore
  accounts: Accounts
  metrics: Metrics
  /** The live objects of a canvas. */
  canvasState(canvasId: string): Promise<CanvasState>
  /** A member lost access: their open connections to that canvas must go. */
  onMemberRemoved(canvasId: string, userId: string): void
  close(): Promise<void>
}

export interface CanvasState {
  canvasId: string
  seq: number
  objects: unknown[]
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

export function createDeps(
  config: Readonly<Config>,
  options: { logger?: FastifyBaseLogger; now?: () => number } = {},
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
  migrate(db)
  const store = new SqliteCanvasStore(db, now)
  const accounts = new Accounts(store, {
    sessionTimeoutSec: config.sessionTimeoutSec,
    now,
    throttle: new LoginThrottle(now),
  })
  return {
    config,
    logger,
    now,
    store,
    accounts,
    metrics: createMetrics(),
    // Until the realtime rooms exist a canvas has no objects and no connections to drop.
    canvasState: (canvasId) => Promise.resolve({ canvasId, seq: 0, objects: [] }),
    onMemberRemoved: () => {},
    close: async () => {
      await store.close()
      db.close()
    },
  }
}

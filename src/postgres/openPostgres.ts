import pg from 'pg'

export type PgPool = pg.Pool
export type PgClient = pg.PoolClient

export interface PostgresOptions {
  /** Connections in the pool; each process holds at most this many. */
  maxConnections?: number
  /** A statement running longer is cancelled (SQLSTATE 57014), so a stuck query cannot hold a request forever. */
  statementTimeoutMs?: number
  /** How long to wait for a connection (new or from the pool) before the query fails. */
  connectionTimeoutMs?: number
  /** Called when an idle pooled connection fails (the server restarted, a backend was terminated). */
  onIdleError: (err: Error) => void
}

export const DEFAULT_MAX_CONNECTIONS = 10
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000

/**
 * Opens a pool on a `postgres://` URL. Opening connects nothing: the first query does, and a
 * database that is down surfaces as `storage_unavailable` there (postgresErrors.ts).
 */
export function openPostgres(url: string, options: PostgresOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // A process that stops mid-transaction (frozen, partitioned) must not hold its row locks,
    // and so every other process's appends to its canvases, for longer than this.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    // Notices a silently dropped connection to the server (no FIN, no RST) on an idle socket.
    keepAlive: true,
    application_name: 'collabcanvas',
  })
  // An idle client whose backend dies emits 'error' on the pool; unheard, that event would
  // crash the process. The pool has already discarded the client; the next query reconnects.
  pool.on('error', options.onIdleError)
  return pool
}

import pg from 'pg'
import { AppError } from '../protocol/appError.js'

// SQLSTATE codes (PostgreSQL appendix A) that this module or its callers tell apart.
export const PG_UNIQUE_VIOLATION = '23505'
const PG_DISK_FULL = '53100'

// Node socket errors meaning the server cannot be reached or the connection dropped.
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

// pg reports a dropped connection, a connect timeout or a closed pool as a plain Error with one
// of these messages (pg/lib/client.js, pg-pool/index.js); still the database being unavailable.
const DRIVER_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Client was closed and is not queryable',
]

/** Whether `err` is PostgreSQL refusing a row because of a unique constraint (optionally this one). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return (
    err instanceof pg.DatabaseError &&
    err.code === PG_UNIQUE_VIOLATION &&
    (constraint === undefined || err.constraint === constraint)
  )
}

/**
 * Maps driver failures to the error table [ST4], as src/sqlite/sqliteErrors.ts does for SQLite:
 * a full disk is `storage_full` (507), any other failure of the database or of the connection
 * to it `storage_unavailable` (503). Anything else is a bug and propagates as is.
 */
export function toStorageError(err: unknown): Error {
  if (err instanceof AppError) return err
  if (err instanceof pg.DatabaseError) {
    if (err.code === PG_DISK_FULL) return new AppError('storage_full', 'storage is full', { cause: err })
    return new AppError('storage_unavailable', 'storage is unavailable', { cause: err })
  }
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return new AppError('storage_unavailable', 'storage is unavailable', { cause: err })
  }
  if (err instanceof Error && DRIVER_CONNECTION_MESSAGES.some((m) => err.message.startsWith(m))) {
    return new AppError('storage_unavailable', 'storage is unavailable', { cause: err })
  }
  return err instanceof Error ? err : new Error(String(err))
}

/** Runs a query (or several), turning driver errors into AppErrors. */
export async function pgGuarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    throw toStorageError(err)
  }
}

import Database from 'better-sqlite3'
import { AppError } from '../../protocol/appError.js'

// better-sqlite3's message (src/util/macros.cpp) when a statement runs on a closed database.
const CLOSED_CONNECTION_MESSAGE = 'The database connection is not open'

/** Maps driver failures to the error table [ST4]; anything else is a bug and propagates as is. */
export function toStoreError(err: unknown): Error {
  // A closed connection is reported as a plain TypeError, not a SqliteError: still the database
  // being unavailable (503), not a bug (500).
  if (err instanceof TypeError && err.message === CLOSED_CONNECTION_MESSAGE) {
    return new AppError('storage_unavailable', 'storage is unavailable', { cause: err })
  }
  if (!(err instanceof Database.SqliteError)) return err instanceof Error ? err : new Error(String(err))
  if (err.code === 'SQLITE_FULL') return new AppError('storage_full', 'storage is full', { cause: err })
  return new AppError('storage_unavailable', 'storage is unavailable', { cause: err })
}

/** Runs a synchronous statement, turning driver errors into AppErrors. */
export function guarded<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run())
  } catch (err) {
    return Promise.reject(toStoreError(err))
  }
}

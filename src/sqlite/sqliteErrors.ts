import Database from 'better-sqlite3'
import { AppError } from '../protocol/appError.js'

// better-sqlite3's message (src/util/macros.cpp) when a statement runs on a closed database.
const CLOSED_CONNECTION_MESSAGE = 'The database connection is not open'

/**
 * Maps driver failures to the error table [ST4]: a full disk is `storage_full` (507) [D5],
 * any other failure of the database `storage_unavailable` (503). Anything else is a bug and
 * propagates as is.
 */
export function toStorageError(err: unknown): Error {
  // A closed connection is reported as a plain TypeError, not a SqliteError: still the database
  // being unavailable (503), not a bug (500).
  if (err instanceof TypeError && err.message === CLOSED_CONNECTION_MESSAGE) {
    return new AppError('storage_unavailable', 'storage is unavailable', { cause: err })
  }
  // SQLite reports ENOSPC on a write as SQLITE_FULL; a file the driver creates itself (the data
  // directory, a new database) fails with the system error instead.
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOSPC') {
    return new AppError('storage_full', 'storage is full', { cause: err })
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
    return Promise.reject(toStorageError(err))
  }
}

import Database from 'better-sqlite3'
import { AppError } from '../../protocol/appError.js'

/** Maps driver failures to the error table [ST4]; anything else is a bug and propagates as is. */
export function toStoreError(err: unknown): Error {
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

import type { PgClient, PgPool } from './openPostgres.js'
import { toStorageError } from './postgresErrors.js'

/**
 * Runs `work` on one pooled connection between BEGIN and COMMIT; any throw rolls back. Driver
 * errors come out as AppErrors (postgresErrors.ts); an AppError thrown by `work` (a cap, a
 * conflict) passes through unchanged. A connection that failed mid-transaction is destroyed,
 * not returned to the pool, so the next caller never inherits a broken one.
 */
export async function inTransaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>): Promise<T> {
  let client: PgClient
  try {
    client = await pool.connect()
  } catch (err) {
    throw toStorageError(err)
  }
  let broken: Error | undefined
  // A checked-out client has no pool listener: its backend dying between two queries would emit
  // an unheard 'error' and crash the process. Heard here, the next query fails instead.
  const onError = (err: Error) => {
    broken = err
  }
  client.on('error', onError)
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    try {
      await client.query('ROLLBACK')
    } catch (rollbackErr) {
      // The connection itself failed: the server rolls the transaction back when it drops.
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))
    }
    throw toStorageError(err)
  } finally {
    client.off('error', onError)
    client.release(broken)
  }
}

import type { PgClient, PgPool } from './openPostgres.js'
import { toStorageError } from './postgresErrors.js'

/**
 * Runs `work` on one pooled connection between BEGIN and COMMIT; any throw rolls back. Driver
 * errors come out as AppErrors (postgresErrors.ts); an AppError thrown by `work` (a cap, a
 * conflict) passes through unchanged. A connection that failed mid-transaction is destroyed,
 * not returned to the pool, so the next caller never inherits a broken one.
 *
 * An idle pooled connection whose backend was terminated (a restart, a failover) is only found
 * dead when BEGIN is sent on it. Nothing of the transaction ran yet, so BEGIN failing is retried
 * once on a fresh connection instead of failing a caller for a connection it never used.
 */
export async function inTransaction<T>(pool: PgPool, work: (client: PgClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptTransaction(pool, work)
    if (outcome.ok) return outcome.value
    if (!outcome.beforeBegin || attempt === 2) throw toStorageError(outcome.error)
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; beforeBegin: boolean }

async function attemptTransaction<T>(
  pool: PgPool,
  work: (client: PgClient) => Promise<T>,
): Promise<Outcome<T>> {
  let client: PgClient
  try {
    client = await pool.connect()
  } catch (err) {
    return { ok: false, error: err, beforeBegin: false }
  }
  let broken: Error | undefined
  // A checked-out client has no pool listener: its backend dying between two queries would emit
  // an unheard 'error' and crash the process. Heard here, the next query fails instead.
  const onError = (err: Error) => {
    broken = err
  }
  client.on('error', onError)
  try {
    try {
      await client.query('BEGIN')
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err))
      return { ok: false, error: err, beforeBegin: true }
    }
    const value = await work(client)
    await client.query('COMMIT')
    return { ok: true, value }
  } catch (err) {
    try {
      await client.query('ROLLBACK')
    } catch (rollbackErr) {
      // The connection itself failed: the server rolls the transaction back when it drops.
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))
    }
    return { ok: false, error: err, beforeBegin: false }
  } finally {
    client.off('error', onError)
    client.release(broken)
  }
}

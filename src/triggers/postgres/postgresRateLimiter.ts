import type { BucketRule } from '../../core/tokenBucket.js'
import type { PgPool } from '../../postgres/openPostgres.js'
import { pgGuarded } from '../../postgres/postgresErrors.js'
import { decisionOf, type RateDecision, type RateLimiter } from '../rateLimiter.js'

/**
 * One UPSERT per take: the row lock of ON CONFLICT DO UPDATE serialises takes on one key from
 * every instance [RL1]; every SET expression reads the row as it was, so `refilled` is the same
 * value in each; a refused take keeps the refilled tokens [RL2]. The table is UNLOGGED
 * (migration 11): one round trip, no WAL.
 */
const REFILLED = 'least($2::float8, b.tokens + greatest(0, $3::bigint - b.at) * $4::float8)'
const TAKE = `
  INSERT INTO rate_buckets AS b (key, tokens, at, granted) VALUES ($1, $2::float8 - 1, $3::bigint, true)
  ON CONFLICT (key) DO UPDATE SET
    tokens  = CASE WHEN ${REFILLED} >= 1 THEN ${REFILLED} - 1 ELSE ${REFILLED} END,
    granted = ${REFILLED} >= 1,
    at      = greatest(b.at, $3::bigint)
  RETURNING tokens, granted`

export class PostgresRateLimiter implements RateLimiter {
  /** The pool belongs to whoever opened it (the store's). */
  constructor(private readonly pool: PgPool) {}

  take(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    return pgGuarded(async () => {
      const { rows } = await this.pool.query<{ tokens: number; granted: boolean }>({
        name: 'rate-limit-take',
        text: TAKE,
        values: [key, rule.capacity, now, rule.refillPerSec / 1000],
      })
      const row = rows[0]
      if (row === undefined) throw new Error('rate limit upsert returned no row')
      return decisionOf(row.tokens, row.granted, rule)
    })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

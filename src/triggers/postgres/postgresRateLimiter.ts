import type { BucketRule } from '../../core/tokenBucket.js'
import type { PgPool } from '../../postgres/openPostgres.js'
import { pgGuarded } from '../../postgres/postgresErrors.js'
import { decisionOf, peekDecision, type RateDecision, type RateLimiter } from '../rateLimiter.js'

/**
 * One UPSERT per take or spend: the row lock of ON CONFLICT DO UPDATE serialises takes on one key from
 * every instance [RL1]; every SET expression reads the row as it was, so `refilled` is the same
 * value in each; a refused take keeps the refilled tokens [RL2]; a spend ($6) takes its cost ($5)
 * whatever is there [RL4]. The table is UNLOGGED
 * (migration 11): one round trip, no WAL.
 */
const REFILLED = 'least($2::float8, b.tokens + greatest(0, $3::bigint - b.at) * $4::float8)'
const TAKE = `
  INSERT INTO rate_buckets AS b (key, tokens, at, granted) VALUES ($1, $2::float8 - $5::float8, $3::bigint, true)
  ON CONFLICT (key) DO UPDATE SET
    tokens  = CASE WHEN $6::boolean OR ${REFILLED} >= $5::float8 THEN ${REFILLED} - $5::float8 ELSE ${REFILLED} END,
    granted = $6::boolean OR ${REFILLED} >= $5::float8,
    at      = greatest(b.at, $3::bigint)
  RETURNING tokens, granted`
// bigint comes back as a string (pg does not guess at 64-bit integers).
const PEEK = 'SELECT tokens, at FROM rate_buckets WHERE key = $1'

export class PostgresRateLimiter implements RateLimiter {
  /** The pool belongs to whoever opened it (the store's). */
  constructor(private readonly pool: PgPool) {}

  take(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    return this.upsert(key, rule, now, 1, false)
  }

  peek(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    return pgGuarded(async () => {
      const { rows } = await this.pool.query<{ tokens: number; at: string | number }>({
        name: 'rate-limit-peek',
        text: PEEK,
        values: [key],
      })
      const row = rows[0]
      return peekDecision(
        row === undefined ? undefined : { tokens: row.tokens, at: Number(row.at) },
        rule,
        now,
      )
    })
  }

  spend(key: string, rule: BucketRule, now: number, amount: number): Promise<RateDecision> {
    return this.upsert(key, rule, now, amount, true)
  }

  private upsert(
    key: string,
    rule: BucketRule,
    now: number,
    cost: number,
    force: boolean,
  ): Promise<RateDecision> {
    return pgGuarded(async () => {
      const { rows } = await this.pool.query<{ tokens: number; granted: boolean }>({
        name: 'rate-limit-take-or-spend',
        text: TAKE,
        values: [key, rule.capacity, now, rule.refillPerSec / 1000, cost, force],
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

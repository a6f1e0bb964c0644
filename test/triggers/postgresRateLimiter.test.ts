import { PG_LOG_MIGRATIONS } from '../../src/log/postgres/migrations.js'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres, type PgPool } from '../../src/postgres/openPostgres.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PG_TRIGGER_MIGRATIONS } from '../../src/triggers/postgres/migrations.js'
import { PostgresRateLimiter } from '../../src/triggers/postgres/postgresRateLimiter.js'
import { registerRateLimiterContractTests } from '../contract/rateLimiter.contract.js'
import { createTestSchema } from '../support/postgres.js'

// Each limiter has its own pool, as each instance has.
registerRateLimiterContractTests({
  name: 'postgres',
  async create() {
    const schema = await createTestSchema()
    const open = () => {
      const pool = openPostgres(schema.url, { onIdleError: () => undefined })
      pools.push(pool)
      return pool
    }
    const pools: PgPool[] = []
    await migratePostgres(open(), PG_STORE_MIGRATIONS, PG_LOG_MIGRATIONS, PG_TRIGGER_MIGRATIONS)
    return {
      limiter: () => Promise.resolve(new PostgresRateLimiter(open())),
      async cleanup() {
        for (const pool of pools) await pool.end()
        await schema.drop()
      },
    }
  },
})

import { randomUUID } from 'node:crypto'
import { PG_LOG_MIGRATIONS } from '../../src/log/postgres/migrations.js'
import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres } from '../../src/postgres/openPostgres.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { PG_TRIGGER_MIGRATIONS } from '../../src/triggers/postgres/migrations.js'
import { PostgresTriggerStore } from '../../src/triggers/postgres/postgresTriggerStore.js'
import { registerTriggerStoreContractTests } from '../contract/triggerStore.contract.js'
import { createTestSchema } from '../support/postgres.js'

registerTriggerStoreContractTests({
  name: 'postgres',
  async create() {
    const schema = await createTestSchema()
    const pool = openPostgres(schema.url, { onIdleError: () => undefined })
    await migratePostgres(pool, PG_STORE_MIGRATIONS, PG_LOG_MIGRATIONS, PG_TRIGGER_MIGRATIONS)
    const users = new PostgresCanvasStore(pool, Date.now)
    const store = new PostgresTriggerStore(pool)
    return {
      store,
      async newUser() {
        const user = await users.createUser({
          email: `${randomUUID()}@example.test`,
          username: `trg ${randomUUID()}`,
          passwordHash: 'x',
        })
        return user.id
      },
      async cleanup() {
        await store.close()
        await pool.end()
        await schema.drop()
      },
    }
  },
})

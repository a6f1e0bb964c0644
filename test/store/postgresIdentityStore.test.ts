import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres } from '../../src/postgres/openPostgres.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { PostgresIdentityStore } from '../../src/store/postgres/postgresIdentityStore.js'
import { registerIdentityStoreContractTests } from '../contract/identityStore.contract.js'
import { createTestSchema } from '../support/postgres.js'

registerIdentityStoreContractTests({
  name: 'postgres',
  create: async ({ now }) => {
    const schema = await createTestSchema()
    const pool = openPostgres(schema.url, { onIdleError: () => undefined })
    await migratePostgres(pool, PG_STORE_MIGRATIONS)
    const store = new PostgresCanvasStore(pool, now)
    return {
      identities: new PostgresIdentityStore(pool, now),
      store,
      dispose: async () => {
        await store.close()
        await pool.end()
        await schema.drop()
      },
    }
  },
})

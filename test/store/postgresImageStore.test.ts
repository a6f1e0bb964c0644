import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres } from '../../src/postgres/openPostgres.js'
import { PG_IMAGE_MIGRATIONS } from '../../src/store/postgres/imageMigrations.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { PostgresImageStore } from '../../src/store/postgres/postgresImageStore.js'
import { registerImageStoreContractTests } from '../contract/imageStore.contract.js'
import { createTestSchema } from '../support/postgres.js'

registerImageStoreContractTests({
  name: 'postgres',
  create: async ({ now }) => {
    const schema = await createTestSchema()
    const pool = openPostgres(schema.url, { onIdleError: () => undefined })
    await migratePostgres(pool, PG_STORE_MIGRATIONS, PG_IMAGE_MIGRATIONS)
    const store = new PostgresCanvasStore(pool, now)
    return {
      images: new PostgresImageStore(pool, now),
      store,
      dispose: async () => {
        await store.close()
        await pool.end()
        await schema.drop()
      },
    }
  },
})

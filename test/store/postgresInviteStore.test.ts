import { migratePostgres } from '../../src/postgres/migrate.js'
import { openPostgres } from '../../src/postgres/openPostgres.js'
import { PG_STORE_MIGRATIONS } from '../../src/store/postgres/migrations.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { PostgresInviteStore } from '../../src/store/postgres/postgresInviteStore.js'
import { registerInviteStoreContractTests } from '../contract/inviteStore.contract.js'
import { createTestSchema } from '../support/postgres.js'

registerInviteStoreContractTests({
  name: 'postgres',
  create: async ({ now, limits }) => {
    const schema = await createTestSchema()
    const pool = openPostgres(schema.url, { onIdleError: () => undefined })
    await migratePostgres(pool, PG_STORE_MIGRATIONS)
    const store = new PostgresCanvasStore(
      pool,
      now,
      limits && { maxCanvasesPerOwner: 1_000, maxMembersPerCanvas: limits.maxMembersPerCanvas },
    )
    return {
      invites: new PostgresInviteStore(pool, now, limits),
      store,
      dispose: async () => {
        await store.close()
        await pool.end()
        await schema.drop()
      },
    }
  },
})

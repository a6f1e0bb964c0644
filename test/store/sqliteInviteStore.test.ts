import { migrate } from '../../src/sqlite/migrate.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { SqliteInviteStore } from '../../src/store/sqlite/sqliteInviteStore.js'
import { registerInviteStoreContractTests } from '../contract/inviteStore.contract.js'
import { tempDir } from '../support/tempDir.js'

registerInviteStoreContractTests({
  name: 'sqlite',
  create: ({ now, limits }) => {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrate(db, STORE_MIGRATIONS)
    const store = new SqliteCanvasStore(
      db,
      now,
      limits && { maxCanvasesPerOwner: 1_000, maxMembersPerCanvas: limits.maxMembersPerCanvas },
    )
    return Promise.resolve({
      invites: new SqliteInviteStore(db, now, limits),
      store,
      dispose: async () => {
        await store.close()
        db.close()
        dir.remove()
      },
    })
  },
})

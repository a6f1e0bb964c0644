import { migrate } from '../../src/sqlite/migrate.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { IMAGE_MIGRATIONS } from '../../src/store/sqlite/imageMigrations.js'
import { STORE_MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { SqliteImageStore } from '../../src/store/sqlite/sqliteImageStore.js'
import { registerImageStoreContractTests } from '../contract/imageStore.contract.js'
import { tempDir } from '../support/tempDir.js'

registerImageStoreContractTests({
  name: 'sqlite',
  create: ({ now }) => {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrate(db, STORE_MIGRATIONS, IMAGE_MIGRATIONS)
    const store = new SqliteCanvasStore(db, now)
    return Promise.resolve({
      images: new SqliteImageStore(db, now),
      store,
      dispose: async () => {
        await store.close()
        db.close()
        dir.remove()
      },
    })
  },
})

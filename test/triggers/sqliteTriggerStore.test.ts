import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import { SqliteTriggerStore } from '../../src/triggers/sqlite/sqliteTriggerStore.js'
import { registerTriggerStoreContractTests } from '../contract/triggerStore.contract.js'
import { uniqueEmail } from '../support/fixtures.js'
import { tempDir } from '../support/tempDir.js'

registerTriggerStoreContractTests({
  name: 'sqlite',
  async create() {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrateSqlite(db)
    const users = new SqliteCanvasStore(db, Date.now)
    const store = new SqliteTriggerStore(db)
    return {
      store,
      async newUser() {
        const email = uniqueEmail('trg')
        const user = await users.createUser({ email, username: email, passwordHash: 'x' })
        return user.id
      },
      async cleanup() {
        await store.close()
        db.close()
        dir.remove()
      },
    }
  },
})

registerTriggerStoreContractTests({
  name: 'sqlite, events committed in a worker thread',
  async create() {
    const dir = tempDir()
    const db = openSqlite(dir.path)
    migrateSqlite(db)
    const users = new SqliteCanvasStore(db, Date.now)
    const store = new SqliteTriggerStore(db, {
      eventWorker: {
        busyTimeoutMs: 5000,
        onWorkerFailure: (err) => {
          throw err
        },
      },
    })
    return {
      store,
      async newUser() {
        const email = uniqueEmail('trg')
        const user = await users.createUser({ email, username: email, passwordHash: 'x' })
        return user.id
      },
      async cleanup() {
        await store.close()
        db.close()
        dir.remove()
      },
    }
  },
})

import { openRateLimitDb, SqliteRateLimiter } from '../../src/triggers/sqlite/sqliteRateLimiter.js'
import { registerRateLimiterContractTests } from '../contract/rateLimiter.contract.js'
import { tempDir } from '../support/tempDir.js'

// Each limiter has its own connection to one file, as each process on the host has.
registerRateLimiterContractTests({
  name: 'sqlite',
  create() {
    const dir = tempDir()
    return Promise.resolve({
      limiter: () => Promise.resolve(new SqliteRateLimiter(openRateLimitDb(dir.path))),
      cleanup: () => Promise.resolve(dir.remove()),
    })
  },
})

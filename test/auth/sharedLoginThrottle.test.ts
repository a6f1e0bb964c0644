import { describe, expect, it, onTestFinished } from 'vitest'
import { LOGIN_RULES } from '../../src/auth/loginThrottle.js'
import { RedisSharedBuckets } from '../../src/auth/redisSharedBuckets.js'
import { SharedLoginThrottle, type SharedBuckets } from '../../src/auth/sharedLoginThrottle.js'
import { SqliteSharedBuckets } from '../../src/auth/sqliteSharedBuckets.js'
import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { redisAdmin, testRedisPrefix, testRedisUrl } from '../support/redis.js'
import { tempDir } from '../support/tempDir.js'

/** Makes bucket stores of one deployment, each as one instance opens it. */
type Stores = () => Promise<() => SharedBuckets>

const kinds: [string, Stores][] = [
  [
    'sqlite',
    () => {
      const dir = tempDir()
      const db = openSqlite(dir.path)
      migrateSqlite(db)
      db.close()
      onTestFinished(() => dir.remove())
      return Promise.resolve(() => {
        const store = new SqliteSharedBuckets(dir.path)
        onTestFinished(() => store.close())
        return store
      })
    },
  ],
  [
    'redis',
    async () => {
      ;(await redisAdmin()).disconnect()
      const prefix = testRedisPrefix()
      return () => {
        const store = new RedisSharedBuckets(testRedisUrl(), prefix)
        onTestFinished(() => store.close())
        return store
      }
    },
  ],
]

describe.each(kinds)('SharedLoginThrottle over instances: %s', (_name, stores) => {
  const attempt = { email: 'victim@example.test', ip: '203.0.113.5' }

  it('[A2] when failed logins are spread over two instances, then both count them and refuse once the account+address bucket is empty', async () => {
    const open = await stores()
    let now = 1_000_000
    const one = new SharedLoginThrottle(open(), () => now)
    const two = new SharedLoginThrottle(open(), () => now)
    for (let i = 0; i < LOGIN_RULES.accountAndIp.capacity; i++) {
      expect(await (i % 2 === 0 ? one : two).retryAfterSec(attempt)).toBe(0)
      await (i % 2 === 0 ? one : two).recordFailure(attempt)
    }
    // Empty: a minute for one token (1/60 per second).
    expect(await one.retryAfterSec(attempt)).toBe(60)
    expect(await two.retryAfterSec(attempt)).toBe(60)
    // Another address for the same account is not locked out by this one.
    expect(await two.retryAfterSec({ ...attempt, ip: '198.51.100.7' })).toBe(0)
    now += 60_000
    expect(await two.retryAfterSec(attempt)).toBe(0)
  })

  it('[A2] when a login succeeds on one instance, then the account+address bucket is forgotten on all', async () => {
    const open = await stores()
    const now = 2_000_000
    const one = new SharedLoginThrottle(open(), () => now)
    const two = new SharedLoginThrottle(open(), () => now)
    for (let i = 0; i < LOGIN_RULES.accountAndIp.capacity; i++) await one.recordFailure(attempt)
    expect(await two.retryAfterSec(attempt)).toBeGreaterThan(0)
    await one.recordSuccess(attempt)
    expect(await two.retryAfterSec(attempt)).toBe(0)
  })
})

import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RedisSocketCounts } from '../../src/log/redis/redisSocketCounts.js'
import { LocalSocketCounts, type SocketCounts } from '../../src/log/socketCounts.js'
import { SqliteSocketCounts } from '../../src/log/sqlite/sqliteSocketCounts.js'
import { migrateSqlite } from '../../src/server/deps.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import { redisAdmin, testRedisPrefix, testRedisUrl } from '../support/redis.js'
import { tempDir } from '../support/tempDir.js'

interface Timing {
  heartbeatMs: number
  expiryMs: number
}

/** Makes counters of one deployment, each as one instance holds it. */
type Deployment = () => Promise<(timing: Timing) => SocketCounts>

const FAST: Timing = { heartbeatMs: 100, expiryMs: 1_000 }

const deployments: [string, Deployment][] = [
  [
    'sqlite',
    () => {
      const dir = tempDir()
      const db = openSqlite(dir.path)
      migrateSqlite(db)
      db.close()
      onTestFinished(() => dir.remove())
      return Promise.resolve((timing) => {
        const counts = new SqliteSocketCounts({
          dataDir: dir.path,
          instanceId: randomUUID(),
          ...timing,
          onError: () => undefined,
        })
        onTestFinished(() => counts.close())
        return counts
      })
    },
  ],
  [
    'redis',
    async () => {
      ;(await redisAdmin()).disconnect()
      const prefix = testRedisPrefix()
      return (timing) => {
        const counts = new RedisSocketCounts({
          redisUrl: testRedisUrl(),
          instanceId: randomUUID(),
          prefix,
          ...timing,
          onError: () => undefined,
        })
        onTestFinished(() => counts.close())
        return counts
      }
    },
  ],
]

describe.each(deployments)('SocketCounts over instances: %s', (_name, deployment) => {
  it('[I1] when a user holds the cap on one instance, then another instance refuses them until one closes', async () => {
    const make = await deployment()
    const one = make(FAST)
    const two = make(FAST)
    expect(await one.tryAdd('u', 2)).toBe(true)
    expect(await two.tryAdd('u', 2)).toBe(true)
    expect(await one.tryAdd('u', 2)).toBe(false)
    expect(await two.tryAdd('u', 2)).toBe(false)
    // Another user is not affected.
    expect(await two.tryAdd('v', 2)).toBe(true)
    one.remove('u')
    await expect.poll(() => two.tryAdd('u', 2)).toBe(true)
  })

  it('[I1] when an instance stops refreshing (dead), then its sockets stop counting after the expiry', async () => {
    const make = await deployment()
    const dead = make({ heartbeatMs: 60_000, expiryMs: 500 })
    const alive = make({ heartbeatMs: 100, expiryMs: 500 })
    expect(await dead.tryAdd('u', 1)).toBe(true)
    expect(await alive.tryAdd('u', 1)).toBe(false)
    await expect.poll(() => alive.tryAdd('u', 1), { timeout: 5_000 }).toBe(true)
  })
})

describe('SocketCounts of one process', () => {
  it('[I1] when the cap is reached, then a further add is refused until one is removed', async () => {
    const counts = new LocalSocketCounts()
    expect(await counts.tryAdd('u', 1)).toBe(true)
    expect(await counts.tryAdd('u', 1)).toBe(false)
    counts.remove('u')
    expect(await counts.tryAdd('u', 1)).toBe(true)
  })
})

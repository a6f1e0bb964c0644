import { describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { RedisRateLimiter } from '../../src/triggers/redis/redisRateLimiter.js'
import { registerRateLimiterContractTests } from '../contract/rateLimiter.contract.js'

function redisUrl(): string {
  const url = process.env.REDIS_URL
  if (url === undefined) throw new Error('set REDIS_URL (redis://127.0.0.1:6379; Redis must be running)')
  return url
}

// Each limiter has its own connection, as each instance has; keys are random per test.
registerRateLimiterContractTests({
  name: 'redis',
  create() {
    return Promise.resolve({
      limiter: () =>
        Promise.resolve(new RedisRateLimiter(new Redis(redisUrl(), { maxRetriesPerRequest: 1 }))),
      cleanup: () => Promise.resolve(),
    })
  },
})

describe('RedisRateLimiter without Redis', () => {
  it('when Redis cannot be reached, then a take fails as storage_unavailable (503) instead of waiting', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const redis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 1 })
    redis.on('error', () => undefined)
    const limiter = new RedisRateLimiter(redis)
    try {
      await expect(limiter.take('k', { capacity: 10, refillPerSec: 1 }, Date.now())).rejects.toMatchObject({
        code: 'storage_unavailable',
      })
    } finally {
      await limiter.close()
    }
  })
})

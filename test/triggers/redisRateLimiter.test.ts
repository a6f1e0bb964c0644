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

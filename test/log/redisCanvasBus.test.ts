import { expect } from 'vitest'
import { createRedisCanvasBus } from '../../src/log/redis/redisCanvasBus.js'
import { registerCanvasBusContractTests } from '../contract/canvasBus.contract.js'
import { killRedisClient, redisAdmin, testRedisPrefix, testRedisUrl } from '../support/redis.js'

registerCanvasBusContractTests({
  name: 'redis',
  canMiss: true,
  create: async ({ headSeq }) => {
    // Fails with instructions when Redis is not running.
    ;(await redisAdmin()).disconnect()
    const prefix = testRedisPrefix()
    const make = () =>
      createRedisCanvasBus({ redisUrl: testRedisUrl(), prefix, headSeq, onError: () => undefined })
    const a = make()
    const b = make()
    await expect.poll(() => [a.health(), b.health()]).toEqual(['ok', 'ok'])
    return {
      a,
      b,
      interrupt: async () => {
        await killRedisClient(b.transport.subscriberName)
      },
      cleanup: async () => {
        await a.close()
        await b.close()
      },
    }
  },
})

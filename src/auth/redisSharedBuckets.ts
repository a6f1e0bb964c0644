import { Redis } from 'ioredis'
import type { Bucket, BucketRule } from '../core/tokenBucket.js'
import type { SharedBuckets } from './sharedLoginThrottle.js'

/**
 * Refill then take one token, per bucket, in one script (atomic in Redis); the same arithmetic
 * as core/tokenBucket.ts. A bucket expires when it would be full again: Redis forgets it.
 * KEYS: the buckets; ARGV: now, then capacity and refillPerSec per key.
 */
const SPEND = `
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local stored = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = capacity
  local at = now
  if stored[1] then
    tokens = tonumber(stored[1])
    at = tonumber(stored[2])
    if now > at then
      tokens = math.min(capacity, tokens + (now - at) / 1000 * rate)
      at = now
    end
  end
  if tokens >= 1 then tokens = tokens - 1 end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(at))
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
end
return 1
`

/** SharedBuckets in Redis (BUS=redis): a hash per bucket. */
export class RedisSharedBuckets implements SharedBuckets {
  private readonly redis: Redis
  private readonly prefix: string

  constructor(redisUrl: string, prefix = 'cc:') {
    this.prefix = `${prefix}login:`
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
    // Errors reach the caller (a login answers 503 while Redis is away); this only keeps the
    // client's own connection errors from being unhandled.
    this.redis.on('error', () => undefined)
  }

  async read(keys: readonly string[]): Promise<(Bucket | undefined)[]> {
    const pipeline = this.redis.pipeline()
    for (const key of keys) pipeline.hmget(this.prefix + key, 'tokens', 'at')
    const results = (await pipeline.exec()) ?? []
    return results.map(([err, value]) => {
      if (err) throw err
      const [tokens, at] = value as (string | null)[]
      return tokens == null || at == null ? undefined : { tokens: Number(tokens), at: Number(at) }
    })
  }

  async spend(buckets: readonly { key: string; rule: BucketRule }[], now: number): Promise<void> {
    await this.redis.eval(
      SPEND,
      buckets.length,
      ...buckets.map((b) => this.prefix + b.key),
      now,
      ...buckets.flatMap((b) => [b.rule.capacity, b.rule.refillPerSec]),
    )
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => this.prefix + key))
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined)
    this.redis.disconnect()
  }
}

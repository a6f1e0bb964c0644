import type { Redis } from 'ioredis'
import type { BucketRule } from '../../core/tokenBucket.js'
import { AppError } from '../../protocol/appError.js'
import { decisionOf, peekDecision, type RateDecision, type RateLimiter } from '../rateLimiter.js'

/**
 * Refill and take (or spend: ARGV[5] = 1) in one Lua script: Redis runs it alone, so takes on one
 * key from every instance are serialised [RL1], a refused take keeps the refilled tokens [RL2],
 * and a spend takes its cost whatever is there [RL4]. The bucket is a hash
 * that expires once it would be full again, so idle keys cost no memory. Numbers go back as
 * strings: Redis turns a Lua number reply into an integer.
 */
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local force = ARGV[5] == '1'
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
local at = now
if bucket[1] then
  tokens = tonumber(bucket[1])
  at = tonumber(bucket[2])
end
local refilled = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local granted = 0
if force or refilled >= cost then
  refilled = refilled - cost
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', refilled), 'at', string.format('%.0f', math.max(at, now)))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - refilled) / perMs) + 1000)
return { string.format('%.17g', refilled), granted }
`

const KEY_PREFIX = 'collabcanvas:rate:'

type TakeCommand = (
  key: string,
  capacity: number,
  perMs: number,
  now: number,
  cost: number,
  force: 0 | 1,
) => Promise<[string, number]>

export class RedisRateLimiter implements RateLimiter {
  private readonly takeCommand: TakeCommand

  /** The client is the limiter's own: close() quits it. */
  constructor(private readonly redis: Redis) {
    // defineCommand sends EVALSHA and falls back to EVAL when Redis has not seen the script.
    redis.defineCommand('collabcanvasRateTake', { numberOfKeys: 1, lua: TAKE_SCRIPT })
    const command = (redis as unknown as Record<string, TakeCommand>).collabcanvasRateTake
    if (command === undefined) throw new Error('ioredis did not define the rate limit command')
    this.takeCommand = command.bind(redis)
  }

  take(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    return this.run(key, rule, now, 1, 0)
  }

  async peek(key: string, rule: BucketRule, now: number): Promise<RateDecision> {
    let fields: (string | null)[]
    try {
      fields = await this.redis.hmget(KEY_PREFIX + key, 'tokens', 'at')
    } catch (err) {
      throw unavailable(err)
    }
    const [tokens, at] = fields
    // An expired (or never taken) bucket is a full one.
    const stored = tokens == null || at == null ? undefined : { tokens: Number(tokens), at: Number(at) }
    return peekDecision(stored, rule, now)
  }

  spend(key: string, rule: BucketRule, now: number, amount: number): Promise<RateDecision> {
    return this.run(key, rule, now, amount, 1)
  }

  private async run(
    key: string,
    rule: BucketRule,
    now: number,
    cost: number,
    force: 0 | 1,
  ): Promise<RateDecision> {
    let reply: [string, number]
    try {
      reply = await this.takeCommand(
        KEY_PREFIX + key,
        rule.capacity,
        rule.refillPerSec / 1000,
        now,
        cost,
        force,
      )
    } catch (err) {
      throw unavailable(err)
    }
    return decisionOf(Number(reply[0]), reply[1] === 1, rule)
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect())
  }
}

function unavailable(err: unknown): AppError {
  return new AppError('storage_unavailable', 'the rate limit store is unavailable', { cause: err })
}

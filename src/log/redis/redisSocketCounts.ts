import { Redis } from 'ioredis'
import { LocalSocketCounts, type SocketCounts } from '../socketCounts.js'

export interface RedisSocketCountsOptions {
  redisUrl: string
  instanceId: string
  prefix?: string
  heartbeatMs: number
  expiryMs: number
  onError: (err: unknown, what: string) => void
}

/**
 * Sums the user's counts of live instances (those whose liveness key has not expired), dropping
 * dead instances' fields, and adds one for this instance when under the cap: atomic in Redis.
 */
const TRY_ADD = `
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  if fields[i] == ARGV[1] or redis.call('EXISTS', ARGV[3] .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
redis.call('SET', ARGV[3] .. ARGV[1], '1', 'PX', ARGV[5])
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`

const REMOVE = `
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`

/**
 * SocketCounts in Redis (BUS=redis): a hash per user (instance id → sockets) and a liveness key
 * per instance that expires unless refreshed. While Redis is unreachable the cap is counted on
 * this instance alone (a join is not refused because the counter is away) [I1].
 */
export class RedisSocketCounts implements SocketCounts {
  private readonly redis: Redis
  private readonly prefix: string
  private readonly local = new LocalSocketCounts()
  /** Users admitted by the local fallback: their removal is not sent to Redis. */
  private readonly localOnly = new Map<string, number>()
  private readonly timer: NodeJS.Timeout
  private closed = false

  constructor(private readonly options: RedisSocketCountsOptions) {
    this.prefix = options.prefix ?? 'cc:'
    this.redis = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(50 * times, 1_000),
      connectionName: `cc-sockets-${options.instanceId}`,
    })
    this.redis.on('error', (err: unknown) => options.onError(err, 'Redis connection (socket counts)'))
    this.redis.on('ready', () => this.beat())
    this.timer = setInterval(() => this.beat(), options.heartbeatMs)
    this.timer.unref()
  }

  async tryAdd(userId: string, cap: number): Promise<boolean> {
    try {
      await this.connected()
      const ok = (await this.redis.eval(
        TRY_ADD,
        1,
        this.userKey(userId),
        this.options.instanceId,
        cap,
        this.liveKeyPrefix(),
        10 * this.options.expiryMs,
        this.options.expiryMs,
      )) as number
      return ok === 1
    } catch (err) {
      this.options.onError(err, 'counting sockets in Redis')
      const ok = await this.local.tryAdd(userId, cap)
      if (ok) this.localOnly.set(userId, (this.localOnly.get(userId) ?? 0) + 1)
      return ok
    }
  }

  remove(userId: string): void {
    const local = this.localOnly.get(userId)
    if (local !== undefined) {
      this.local.remove(userId)
      if (local <= 1) this.localOnly.delete(userId)
      else this.localOnly.set(userId, local - 1)
      return
    }
    if (this.closed) return
    this.redis
      .eval(REMOVE, 1, this.userKey(userId), this.options.instanceId)
      .catch((err: unknown) => this.options.onError(err, 'counting a closed socket in Redis'))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    // Our sockets stop counting at once rather than after the expiry.
    await this.redis.del(this.liveKeyPrefix() + this.options.instanceId).catch(() => undefined)
    await this.redis.quit().catch(() => undefined)
    this.redis.disconnect()
  }

  /** Waits a moment for a connection being made (a join at startup), not for an outage. */
  private async connected(): Promise<void> {
    if (this.redis.status === 'ready') return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise((resolve) => this.redis.once('ready', resolve)),
      new Promise((resolve) => (timer = setTimeout(resolve, 1_000))),
    ])
    clearTimeout(timer)
  }

  private beat(): void {
    if (this.closed || this.redis.status !== 'ready') return
    this.redis
      .set(this.liveKeyPrefix() + this.options.instanceId, '1', 'PX', this.options.expiryMs)
      .catch((err: unknown) => this.options.onError(err, 'refreshing socket counts'))
  }

  private userKey(userId: string): string {
    return `${this.prefix}sockets:${userId}`
  }

  private liveKeyPrefix(): string {
    return `${this.prefix}instance:`
  }
}

import type { AiQuotaState } from '../protocol/aiHttpTypes.js'
import type { BucketRule } from '../core/tokenBucket.js'
import type { RateDecision, RateLimiter } from '../triggers/rateLimiter.js'

/**
 * Per-user limits on AI commands [I1], in the deployment's shared rate limiter (the Triggers API's:
 * a SQLite file in DATA_DIR, PostgreSQL, or Redis when REDIS_URL is set), so they hold however a
 * user's requests spread over instances [AI8]:
 * - a token bucket of `commandsPerHour` commands (spent at once if the user likes, then one back
 *   every 3600/N seconds);
 * - a bucket of `tokensPerDay` model tokens refilling over 24 hours; Claude's usage is known only
 *   after a call, so it is spent then, possibly below zero, and Claude is asked again once the
 *   refill has paid that debt.
 */
export interface AiQuotaRule {
  commandsPerHour: number
  tokensPerDay: number
}

export type QuotaState = AiQuotaState

/** Keys of their own beside the API keys' buckets (those are keyed by key id, a UUID). */
const commandsKey = (userId: string) => `ai-commands:${userId}`
const tokensKey = (userId: string) => `ai-tokens:${userId}`

export class AiQuota {
  private readonly commands: BucketRule
  private readonly tokens: BucketRule

  constructor(
    private readonly limiter: RateLimiter,
    limits: AiQuotaRule,
  ) {
    this.commands = { capacity: limits.commandsPerHour, refillPerSec: limits.commandsPerHour / 3600 }
    this.tokens = { capacity: limits.tokensPerDay, refillPerSec: limits.tokensPerDay / 86_400 }
  }

  /** Takes one command from the user's bucket. */
  async take(userId: string, now: number): Promise<{ ok: boolean; state: QuotaState }> {
    const decision = await this.limiter.take(commandsKey(userId), this.commands, now)
    return { ok: decision.ok, state: stateOf(decision) }
  }

  /** What the user has left, without taking anything. */
  async peek(userId: string, now: number): Promise<QuotaState> {
    return stateOf(await this.limiter.peek(commandsKey(userId), this.commands, now))
  }

  /** Whether the user may still spend model tokens. */
  async hasTokens(userId: string, now: number): Promise<boolean> {
    return (await this.limiter.peek(tokensKey(userId), this.tokens, now)).ok
  }

  async spendTokens(userId: string, count: number, now: number): Promise<void> {
    await this.limiter.spend(tokensKey(userId), this.tokens, now, count)
  }
}

const stateOf = (d: RateDecision): QuotaState => ({
  limit: d.limit,
  remaining: d.remaining,
  retryAfterSec: d.ok ? 0 : d.retryAfterSec,
})

import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { BucketRule } from '../../src/core/tokenBucket.js'
import type { RateLimiter } from '../../src/triggers/rateLimiter.js'

export interface RateLimiterHarness {
  /** A new limiter on the same storage, as another instance of the deployment would have. */
  limiter(): Promise<RateLimiter>
  cleanup(): Promise<void>
}

export interface RateLimiterImplementation {
  name: string
  create(): Promise<RateLimiterHarness>
}

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0)
/** The free tier's rule: 10 a minute, one token every 6 s. */
const FREE: BucketRule = { capacity: 10, refillPerSec: 10 / 60 }
const PRO: BucketRule = { capacity: 600, refillPerSec: 10 }

/** Every RateLimiter implementation runs this suite against its real storage. */
export function registerRateLimiterContractTests(impl: RateLimiterImplementation): void {
  describe(`RateLimiter contract: ${impl.name}`, () => {
    async function start(): Promise<RateLimiterHarness> {
      const h = await impl.create()
      const limiters: RateLimiter[] = []
      onTestFinished(async () => {
        for (const l of limiters) await l.close()
        await h.cleanup()
      })
      return {
        limiter: async () => {
          const l = await h.limiter()
          limiters.push(l)
          return l
        },
        cleanup: () => Promise.resolve(),
      }
    }

    it('[RL2] when a key takes its whole bucket, then remaining counts down, the next take is refused with Retry-After, and the refusal costs nothing', async () => {
      const limiter = await (await start()).limiter()
      const key = randomUUID()
      for (let i = 1; i <= FREE.capacity; i++) {
        expect(await limiter.take(key, FREE, T0)).toEqual({
          ok: true,
          limit: 10,
          remaining: 10 - i,
          resetSec: 6 * i,
          retryAfterSec: 0,
        })
      }
      const refused = await limiter.take(key, FREE, T0)
      expect(refused).toEqual({ ok: false, limit: 10, remaining: 0, resetSec: 60, retryAfterSec: 6 })
      // Refused again and again: still one token 6 s after the bucket emptied, not later.
      for (let i = 0; i < 5; i++) expect((await limiter.take(key, FREE, T0 + 1000 * i)).ok).toBe(false)
      expect(await limiter.take(key, FREE, T0 + 5_999)).toMatchObject({ ok: false, retryAfterSec: 1 })
      expect(await limiter.take(key, FREE, T0 + 6_000)).toMatchObject({ ok: true, remaining: 0 })
      expect((await limiter.take(key, FREE, T0 + 6_000)).ok).toBe(false)
    })

    it('when time passes, then the bucket refills at its rate and never beyond its capacity; keys are separate', async () => {
      const limiter = await (await start()).limiter()
      const [a, b] = [randomUUID(), randomUUID()]
      for (let i = 0; i < 10; i++) await limiter.take(a, FREE, T0)
      expect(await limiter.take(b, FREE, T0)).toMatchObject({ ok: true, remaining: 9 })
      // 30 s: five tokens back.
      expect(await limiter.take(a, FREE, T0 + 30_000)).toMatchObject({ ok: true, remaining: 4 })
      // A day later: full, not more.
      expect(await limiter.take(a, FREE, T0 + 86_400_000)).toMatchObject({ ok: true, remaining: 9 })
      // A clock behind the bucket's (another instance's) takes nothing back and adds nothing.
      expect(await limiter.take(a, FREE, T0 + 86_000_000)).toMatchObject({ ok: true, remaining: 8 })
    })

    it('[RL1] when several instances take on one key at once, then no more than the capacity is granted in all', async () => {
      const h = await start()
      const instances = await Promise.all([h.limiter(), h.limiter(), h.limiter()])
      const key = randomUUID()
      const takes = instances.flatMap((l) => Array.from({ length: 250 }, () => l.take(key, PRO, T0)))
      const decisions = await Promise.all(takes)
      expect(decisions.filter((d) => d.ok)).toHaveLength(PRO.capacity)
      // Each instance sees the one bucket: the remaining counts handed out are all different.
      const remaining = decisions.filter((d) => d.ok).map((d) => d.remaining)
      expect(new Set(remaining).size).toBe(PRO.capacity)
      expect((await instances[0].take(key, PRO, T0 + 100)).ok).toBe(true)
      expect((await instances[1].take(key, PRO, T0 + 100)).ok).toBe(false)
    })

    it('[RL3] when a bucket is peeked, from this instance or another, then it answers what a take would and takes nothing', async () => {
      const h = await start()
      const [here, there] = [await h.limiter(), await h.limiter()]
      const key = randomUUID()
      // A key never taken: a full bucket.
      expect(await there.peek(key, FREE, T0)).toEqual({
        ok: true,
        limit: 10,
        remaining: 10,
        resetSec: 0,
        retryAfterSec: 0,
      })
      for (let i = 0; i < 3; i++) await here.take(key, FREE, T0)
      expect(await there.peek(key, FREE, T0)).toMatchObject({ ok: true, remaining: 7 })
      expect(await there.peek(key, FREE, T0)).toMatchObject({ ok: true, remaining: 7 })
      for (let i = 0; i < 7; i++) await there.take(key, FREE, T0)
      // Empty: the peek is refused with the take's Retry-After, and refills with time.
      const empty = await here.peek(key, FREE, T0 + 1500)
      expect(empty).toMatchObject({ ok: false, remaining: 0, retryAfterSec: 5 })
      expect(await here.take(key, FREE, T0 + 1500)).toEqual(empty)
      expect(await there.peek(key, FREE, T0 + 12_500)).toMatchObject({ ok: true, remaining: 2 })
    })

    it('[RL4] when an amount is spent, then it is taken whatever the bucket holds, and takes wait until the refill has paid the debt', async () => {
      const h = await start()
      const [here, there] = [await h.limiter(), await h.limiter()]
      const key = randomUUID()
      // 1,000 tokens a day; 1,260 spent at once (a model call's usage, known afterwards).
      const DAILY: BucketRule = { capacity: 1000, refillPerSec: 1000 / 86_400 }
      expect(await here.spend(key, DAILY, T0, 1260)).toMatchObject({ ok: true, remaining: 0 })
      expect(await there.peek(key, DAILY, T0)).toMatchObject({ ok: false, remaining: 0 })
      expect((await there.take(key, DAILY, T0)).ok).toBe(false)
      // 261 tokens' worth of refill later (22,550 s), one is there again.
      expect((await there.peek(key, DAILY, T0 + 22_500_000)).ok).toBe(false)
      expect(await there.peek(key, DAILY, T0 + 22_600_000)).toMatchObject({ ok: true, remaining: 1 })
      // Spends from two instances add up (1.57 - 200 left); a day's refill pays the debt first.
      await here.spend(key, DAILY, T0 + 22_600_000, 100)
      await there.spend(key, DAILY, T0 + 22_600_000, 100)
      expect((await here.peek(key, DAILY, T0 + 22_600_000 + 17_000_000)).ok).toBe(false)
      expect(await here.peek(key, DAILY, T0 + 22_600_000 + 86_400_000)).toMatchObject({
        ok: true,
        remaining: 801,
      })
    })

    it('when an instance takes with a changed rule (a new tier), then the bucket keeps its tokens, capped at the new capacity', async () => {
      const limiter = await (await start()).limiter()
      const key = randomUUID()
      for (let i = 0; i < 10; i++) await limiter.take(key, FREE, T0)
      // Upgraded: the empty bucket refills at the new rate, not at once.
      expect(await limiter.take(key, PRO, T0)).toMatchObject({ ok: false, limit: 600, retryAfterSec: 1 })
      expect(await limiter.take(key, PRO, T0 + 1000)).toMatchObject({ ok: true, remaining: 9 })
      // Downgraded: what it holds is cut to the smaller bucket.
      expect(await limiter.take(key, FREE, T0 + 60_000)).toMatchObject({ ok: true, remaining: 9 })
    })
  })
}

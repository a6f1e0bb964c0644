import { describe, expect, it } from 'vitest'
import { fullBucket, refill, take, type Bucket, type BucketRule } from '../../src/core/tokenBucket.js'

const RULE: BucketRule = { capacity: 3, refillPerSec: 1 }

describe('tokenBucket', () => {
  it('when a bucket is made then it is full at that time', () => {
    expect(fullBucket(RULE, 1000)).toEqual({ tokens: 3, at: 1000 })
  })

  it.each([
    ['no time passed', { tokens: 1, at: 1000 }, 1000, { tokens: 1, at: 1000 }],
    ['half a second', { tokens: 1, at: 1000 }, 1500, { tokens: 1.5, at: 1500 }],
    ['long enough to overflow', { tokens: 1, at: 1000 }, 60_000, { tokens: 3, at: 60_000 }],
    ['the clock went back', { tokens: 1, at: 1000 }, 500, { tokens: 1, at: 1000 }],
  ])('when %s then refill gives the expected bucket', (_case, bucket: Bucket, now, expected) => {
    expect(refill(bucket, RULE, now)).toEqual(expected)
  })

  it.each([
    ['a full bucket, cost 1', { tokens: 3, at: 0 }, 0, 1, { ok: true, bucket: { tokens: 2, at: 0 } }],
    ['exactly enough', { tokens: 2, at: 0 }, 0, 2, { ok: true, bucket: { tokens: 0, at: 0 } }],
    ['empty', { tokens: 0, at: 0 }, 0, 1, { ok: false, bucket: { tokens: 0, at: 0 }, retryAfterMs: 1000 }],
    [
      'half a token',
      { tokens: 0, at: 0 },
      500,
      1,
      { ok: false, bucket: { tokens: 0.5, at: 500 }, retryAfterMs: 500 },
    ],
    ['refilled in time', { tokens: 0, at: 0 }, 1000, 1, { ok: true, bucket: { tokens: 0, at: 1000 } }],
    [
      'more than capacity',
      { tokens: 3, at: 0 },
      0,
      5,
      { ok: false, bucket: { tokens: 3, at: 0 }, retryAfterMs: 2000 },
    ],
  ])('when taking from %s then the expected result', (_case, bucket: Bucket, now, cost, expected) => {
    expect(take(bucket, RULE, now, cost)).toEqual(expected)
  })

  it('when a slow refill is empty then the wait is rounded up to whole milliseconds', () => {
    const slow: BucketRule = { capacity: 5, refillPerSec: 1 / 60 }
    expect(take({ tokens: 0, at: 0 }, slow, 0)).toEqual({
      ok: false,
      bucket: { tokens: 0, at: 0 },
      retryAfterMs: 60_000,
    })
    const r = take({ tokens: 0, at: 0 }, { capacity: 1, refillPerSec: 3 }, 0)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.retryAfterMs).toBe(334)
  })

  it('when taking repeatedly at random times then 0 <= tokens <= capacity always holds', () => {
    // A fixed linear congruential sequence: deterministic, no Math.random.
    let state = 20_261_122
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    let bucket = fullBucket(RULE, 0)
    let now = 0
    for (let i = 0; i < 5000; i++) {
      now += Math.floor(next() * 1500)
      const r = take(bucket, RULE, now, 1 + Math.floor(next() * 2))
      bucket = r.bucket
      expect(bucket.tokens).toBeGreaterThanOrEqual(0)
      expect(bucket.tokens).toBeLessThanOrEqual(RULE.capacity)
      if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(0)
    }
  })
})

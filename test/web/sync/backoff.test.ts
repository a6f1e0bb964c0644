import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../../src/web/sync/backoff.js'

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1_000 }

  it.each([
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1_000],
    [60, 1_000],
    [5_000, 1_000],
  ])(
    '[SYNC22] when attempt %i, then the wait is in [ceiling/2, ceiling] with ceiling %i',
    (attempt, ceiling) => {
      expect(backoffDelay(attempt, policy, () => 0)).toBe(ceiling / 2)
      expect(backoffDelay(attempt, policy, () => 0.5)).toBe((ceiling * 3) / 4)
      expect(backoffDelay(attempt, policy, () => 1)).toBe(ceiling)
    },
  )

  it('[SYNC22] when random misbehaves, then the wait stays within the bounds', () => {
    expect(backoffDelay(0, policy, () => -3)).toBe(50)
    expect(backoffDelay(0, policy, () => 7)).toBe(100)
  })
})

/** A clock tests move by hand: pass `clock.now` wherever the code under test takes `now`. */
export interface TestClock {
  now: () => number
  advance(ms: number): void
  set(ms: number): void
}

/** 2026-01-01T00:00:00Z: a fixed start, so timestamps in assertions are exact. */
export const TEST_EPOCH_MS = Date.UTC(2026, 0, 1)

export function testClock(startMs = TEST_EPOCH_MS): TestClock {
  let current = startMs
  return {
    now: () => current,
    advance(ms) {
      current += ms
    },
    set(ms) {
      current = ms
    },
  }
}

/**
 * Real time that a test can still push forward: for servers whose token buckets and ticks must
 * see time pass, while a test jumps past a session's expiry.
 */
export function systemClock(): TestClock {
  let offset = 0
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms
    },
    set(ms) {
      offset = ms - Date.now()
    },
  }
}

import { describe, expect, it } from 'vitest'
import { LOGIN_RULES, LoginThrottle } from '../../src/auth/loginThrottle.js'
import { testClock } from '../support/clock.js'

function throttle() {
  const clock = testClock()
  return { throttle: new LoginThrottle(clock.now), clock }
}

describe('LoginThrottle [A2]', () => {
  it('[A2] when nothing failed then attempts are allowed', () => {
    const { throttle: t } = throttle()
    expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(0)
  })

  it('[A2] when one account fails 5 times from one address then that pair waits a minute, others do not', () => {
    const { throttle: t, clock } = throttle()
    for (let i = 0; i < LOGIN_RULES.accountAndIp.capacity; i++) {
      expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(0)
      t.recordFailure('a@example.test', '192.0.2.1')
    }
    expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(60)
    expect(t.retryAfterSec('a@example.test', '192.0.2.2')).toBe(0)
    expect(t.retryAfterSec('b@example.test', '192.0.2.1')).toBe(0)
    clock.advance(30_000)
    expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(30)
    clock.advance(30_000)
    expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(0)
  })

  it('[A2] when asking how long to wait then no token is spent', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < 4; i++) t.recordFailure('a@example.test', '192.0.2.1')
    for (let i = 0; i < 10; i++) expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(0)
  })

  it('[A2] when a login succeeds then the account+address count starts over', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < 4; i++) t.recordFailure('a@example.test', '192.0.2.1')
    t.recordSuccess('a@example.test', '192.0.2.1')
    for (let i = 0; i < 4; i++) t.recordFailure('a@example.test', '192.0.2.1')
    expect(t.retryAfterSec('a@example.test', '192.0.2.1')).toBe(0)
  })

  it('[A2] when one address fails on 30 accounts then it waits, whatever the account', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < LOGIN_RULES.ip.capacity; i++) t.recordFailure(`u${i}@example.test`, '203.0.113.9')
    expect(t.retryAfterSec('fresh@example.test', '203.0.113.9')).toBe(4)
    expect(t.retryAfterSec('fresh@example.test', '203.0.113.10')).toBe(0)
  })

  it('[A2] when 50 addresses fail on one account then the account waits, from anywhere', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < LOGIN_RULES.account.capacity; i++)
      t.recordFailure('target@example.test', `10.0.0.${i}`)
    expect(t.retryAfterSec('target@example.test', '10.9.9.9')).toBe(30)
    expect(t.retryAfterSec('other@example.test', '10.9.9.9')).toBe(0)
  })
})

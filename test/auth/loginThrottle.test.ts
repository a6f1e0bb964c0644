import { describe, expect, it } from 'vitest'
import { LOGIN_RULES, LoginThrottle, RegistrationThrottle } from '../../src/auth/loginThrottle.js'
import { testClock } from '../support/clock.js'

function throttle() {
  const clock = testClock()
  return { throttle: new LoginThrottle(clock.now), clock }
}

describe('LoginThrottle [A2]', () => {
  it('[A2] when nothing failed then attempts are allowed', () => {
    const { throttle: t } = throttle()
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(0)
  })

  it('[A2] when one account fails 5 times from one address then that pair waits a minute, others do not', () => {
    const { throttle: t, clock } = throttle()
    for (let i = 0; i < LOGIN_RULES.accountAndIp.capacity; i++) {
      expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(0)
      t.recordFailure({ email: 'a@example.test', ip: '192.0.2.1' })
    }
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(60)
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.2' })).toBe(0)
    expect(t.retryAfterSec({ email: 'b@example.test', ip: '192.0.2.1' })).toBe(0)
    clock.advance(30_000)
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(30)
    clock.advance(30_000)
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(0)
  })

  it('[A2] when asking how long to wait then no token is spent', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < 4; i++) t.recordFailure({ email: 'a@example.test', ip: '192.0.2.1' })
    for (let i = 0; i < 10; i++) expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(0)
  })

  it('[A2] when a login succeeds then the account+address count starts over', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < 4; i++) t.recordFailure({ email: 'a@example.test', ip: '192.0.2.1' })
    t.recordSuccess({ email: 'a@example.test', ip: '192.0.2.1' })
    for (let i = 0; i < 4; i++) t.recordFailure({ email: 'a@example.test', ip: '192.0.2.1' })
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(0)
  })

  it('[A2] when one address fails on 30 accounts then it waits, whatever the account', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < LOGIN_RULES.ip.capacity; i++)
      t.recordFailure({ email: `u${i}@example.test`, ip: '203.0.113.9' })
    expect(t.retryAfterSec({ email: 'fresh@example.test', ip: '203.0.113.9' })).toBe(4)
    expect(t.retryAfterSec({ email: 'fresh@example.test', ip: '203.0.113.10' })).toBe(0)
  })

  it('[A2] when 50 addresses fail on one account then the account waits, from anywhere', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < LOGIN_RULES.account.capacity; i++)
      t.recordFailure({ email: 'target@example.test', ip: `10.0.0.${i}` })
    expect(t.retryAfterSec({ email: 'target@example.test', ip: '10.9.9.9' })).toBe(30)
    expect(t.retryAfterSec({ email: 'other@example.test', ip: '10.9.9.9' })).toBe(0)
  })
})

describe('LoginThrottle with a device cookie [A2]', () => {
  it('[A2] when an address and an account are both exhausted then a trusted device for that account is still allowed', () => {
    const { throttle: t } = throttle()
    for (let i = 0; i < LOGIN_RULES.ip.capacity; i++)
      t.recordFailure({ email: `u${i}@example.test`, ip: '203.0.113.9' })
    for (let i = 0; i < LOGIN_RULES.account.capacity; i++)
      t.recordFailure({ email: 'target@example.test', ip: `10.0.0.${i}` })
    expect(t.retryAfterSec({ email: 'target@example.test', ip: '203.0.113.9' })).toBeGreaterThan(0)
    expect(t.retryAfterSec({ email: 'target@example.test', ip: '203.0.113.9', device: 'dev-1' })).toBe(0)
  })

  it('[A2] when a trusted device fails 10 times then that device waits, other devices do not', () => {
    const { throttle: t } = throttle()
    const attempt = { email: 'a@example.test', ip: '192.0.2.1', device: 'dev-1' }
    for (let i = 0; i < LOGIN_RULES.device.capacity; i++) t.recordFailure(attempt)
    expect(t.retryAfterSec(attempt)).toBe(60)
    expect(t.retryAfterSec({ ...attempt, device: 'dev-2' })).toBe(0)
    // A device's failures are its own: the address and the account are not charged.
    expect(t.retryAfterSec({ email: 'a@example.test', ip: '192.0.2.1' })).toBe(0)
  })
})

describe('RegistrationThrottle [A2]', () => {
  it('[A2] when one address registers its hourly allowance then it waits, other addresses do not', () => {
    const clock = testClock()
    const t = new RegistrationThrottle(3, clock.now)
    for (let i = 0; i < 3; i++) expect(t.take('192.0.2.1')).toBe(0)
    expect(t.take('192.0.2.1')).toBe(1200)
    expect(t.take('192.0.2.2')).toBe(0)
    clock.advance(1_200_000)
    expect(t.take('192.0.2.1')).toBe(0)
  })
})

import { describe, expect, it } from 'vitest'
import {
  ARGON2_OPTIONS,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyAgainstDummy,
  verifyPassword,
} from '../../src/auth/passwords.js'

describe('passwords', () => {
  it('[A1] when hashing then argon2id is used with at least m=19 MiB, t=2, p=1', async () => {
    expect(ARGON2_OPTIONS.memoryCost).toBeGreaterThanOrEqual(19_456)
    expect(ARGON2_OPTIONS.timeCost).toBeGreaterThanOrEqual(2)
    expect(ARGON2_OPTIONS.parallelism).toBe(1)
    const hash = await hashPassword('password1')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
  })

  it('[A1] when the same password is hashed twice then the salts differ', async () => {
    expect(await hashPassword('password1')).not.toBe(await hashPassword('password1'))
  })

  it('[A1] when the policy is read then passwords are 8 to 128 characters', () => {
    expect([PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH]).toEqual([8, 128])
  })

  it('[A1] when verifying then only the exact password matches, unicode and full length included', async () => {
    const password = `ünïcødé 🎨 ${'x'.repeat(100)}`
    const hash = await hashPassword(password)
    expect(await verifyPassword(hash, password)).toBe(true)
    for (const near of [
      password.slice(0, -1),
      `${password} `,
      password.toUpperCase(),
      password.normalize('NFD'),
    ]) {
      expect(await verifyPassword(hash, near)).toBe(false)
    }
  })

  it.each([
    ['empty', ''],
    ['not a hash', 'plaintext'],
    ['truncated', '$argon2id$v=19$m=19456,t=2,p=1$abc'],
  ])('when the stored hash is %s then verify answers false, never throws', async (_case, stored) => {
    expect(await verifyPassword(stored, 'password1')).toBe(false)
  })

  it('[A2] when the email is unknown then the dummy verify answers false, even for the dummy password', async () => {
    expect(await verifyAgainstDummy('password1')).toBe(false)
    expect(await verifyAgainstDummy('collabcanvas-timing-equaliser')).toBe(false)
  })
})

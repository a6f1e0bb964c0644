import { describe, expect, it, onTestFinished } from 'vitest'
import { AppError } from '../../src/protocol/appError.js'
import type { CanvasStore } from '../../src/store/canvasStore.js'
import type { IdentityStore } from '../../src/store/identityStore.js'
import { testClock } from '../support/clock.js'

/** An identity store and the canvas store it shares a database with, fresh and empty. */
export interface IdentityStoreHarness {
  identities: IdentityStore
  store: CanvasStore
  dispose(): Promise<void>
}

export interface IdentityStoreImplementation {
  name: string
  create(options: { now: () => number }): Promise<IdentityStoreHarness>
}

const ISSUER = 'https://idp.example.test/'

/** The guarantees of `IdentityStore` (src/store/identityStore.ts), [ID1]..[ID4], per implementation. */
export function registerIdentityStoreContractTests(impl: IdentityStoreImplementation): void {
  describe(`IdentityStore contract: ${impl.name}`, () => {
    async function setup() {
      const clock = testClock()
      const harness = await impl.create({ now: clock.now })
      onTestFinished(() => harness.dispose())
      const withPassword = await harness.store.createUser({
        email: 'pw@example.test',
        username: 'pw',
        passwordHash: 'h',
      })
      return { ...harness, clock, withPassword }
    }
    const conflict = (field?: string) =>
      expect.objectContaining({ code: 'conflict', ...(field ? { field } : {}) }) as AppError

    it('[ID2] when a user is created with an identity then both are found and the user has no password', async () => {
      const { identities, store } = await setup()
      const { user, identity } = await identities.createUserWithIdentity(
        { email: 'sso@example.test', username: 'sso' },
        { issuer: ISSUER, subject: 'sub-1', email: 'sso@example.test' },
      )
      expect(identity).toMatchObject({ userId: user.id, issuer: ISSUER, subject: 'sub-1' })
      expect(await identities.find(ISSUER, 'sub-1')).toEqual(identity)
      expect(await identities.find(ISSUER, 'sub-2')).toBeUndefined()
      expect(await identities.find('https://other.example.test/', 'sub-1')).toBeUndefined()
      expect(await store.getUser(user.id)).toEqual(user)
      expect(await store.findUserByEmail('sso@example.test')).toMatchObject({
        id: user.id,
        passwordHash: null,
      })
      expect(await identities.hasPassword(user.id)).toBe(false)
    })

    it('[ID2] when the email, username or identity is taken then conflict and nothing is written', async () => {
      const { identities, store } = await setup()
      await identities.createUserWithIdentity(
        { email: 'a@example.test', username: 'a' },
        { issuer: ISSUER, subject: 'a', email: null },
      )
      await expect(
        identities.createUserWithIdentity(
          { email: 'pw@example.test', username: 'fresh1' },
          { issuer: ISSUER, subject: 'fresh1', email: null },
        ),
      ).rejects.toEqual(conflict())
      await expect(
        identities.createUserWithIdentity(
          { email: 'fresh2@example.test', username: 'PW' },
          { issuer: ISSUER, subject: 'fresh2', email: null },
        ),
      ).rejects.toEqual(conflict('body.username'))
      await expect(
        identities.createUserWithIdentity(
          { email: 'fresh3@example.test', username: 'fresh3' },
          { issuer: ISSUER, subject: 'a', email: null },
        ),
      ).rejects.toEqual(conflict())
      for (const sub of ['fresh1', 'fresh2']) expect(await identities.find(ISSUER, sub)).toBeUndefined()
      expect(await store.findUserByEmail('fresh3@example.test')).toBeUndefined()
    })

    it('[ID1] when an identity is linked then the user holds several, and the pair cannot be linked again by anyone', async () => {
      const { identities, withPassword, clock } = await setup()
      const first = await identities.link(withPassword.id, {
        issuer: ISSUER,
        subject: 'x',
        email: 'x@idp.test',
      })
      clock.advance(1000)
      const second = await identities.link(withPassword.id, {
        issuer: 'https://other.example.test/',
        subject: 'x',
        email: null,
      })
      expect(await identities.listForUser(withPassword.id)).toEqual([first, second])
      const { user: other } = await identities.createUserWithIdentity(
        { email: 'o@example.test', username: 'o' },
        { issuer: ISSUER, subject: 'o', email: null },
      )
      await expect(identities.link(other.id, { issuer: ISSUER, subject: 'x', email: null })).rejects.toEqual(
        conflict(),
      )
      await expect(
        identities.link(withPassword.id, { issuer: ISSUER, subject: 'x', email: null }),
      ).rejects.toEqual(conflict())
      expect((await identities.find(ISSUER, 'x'))?.userId).toBe(withPassword.id)
    })

    it('[ID3] when the last identity of a password-less user is unlinked then it stays', async () => {
      const { identities } = await setup()
      const { user, identity } = await identities.createUserWithIdentity(
        { email: 'only@example.test', username: 'only' },
        { issuer: ISSUER, subject: 'only', email: null },
      )
      expect(await identities.unlink(user.id, identity.id, { passwordCounts: true })).toBe('last_sign_in')
      const extra = await identities.link(user.id, { issuer: ISSUER, subject: 'only-2', email: null })
      expect(await identities.unlink(user.id, identity.id, { passwordCounts: true })).toBe('removed')
      expect(await identities.unlink(user.id, extra.id, { passwordCounts: true })).toBe('last_sign_in')
      expect(await identities.listForUser(user.id)).toEqual([extra])
    })

    it('[ID3] when a password user unlinks then the password counts unless password login is off', async () => {
      const { identities, withPassword } = await setup()
      const identity = await identities.link(withPassword.id, { issuer: ISSUER, subject: 'p', email: null })
      expect(await identities.hasPassword(withPassword.id)).toBe(true)
      expect(await identities.unlink(withPassword.id, identity.id, { passwordCounts: false })).toBe(
        'last_sign_in',
      )
      expect(await identities.unlink(withPassword.id, identity.id, { passwordCounts: true })).toBe('removed')
      expect(await identities.unlink(withPassword.id, identity.id, { passwordCounts: true })).toBe(
        'not_found',
      )
    })

    it('[ID3] when another user unlinks an identity then not_found and it stays', async () => {
      const { identities, withPassword } = await setup()
      const { user } = await identities.createUserWithIdentity(
        { email: 'v@example.test', username: 'v' },
        { issuer: ISSUER, subject: 'v', email: null },
      )
      const extra = await identities.link(user.id, { issuer: ISSUER, subject: 'v2', email: null })
      expect(await identities.unlink(withPassword.id, extra.id, { passwordCounts: true })).toBe('not_found')
      expect(await identities.unlink(withPassword.id, 'not-an-id', { passwordCounts: true })).toBe(
        'not_found',
      )
      expect(await identities.listForUser(user.id)).toHaveLength(2)
    })

    it('[ID3] when both identities of a password-less user are unlinked at once then one stays', async () => {
      const { identities } = await setup()
      const { user, identity } = await identities.createUserWithIdentity(
        { email: 'c@example.test', username: 'c' },
        { issuer: ISSUER, subject: 'c1', email: null },
      )
      const second = await identities.link(user.id, { issuer: ISSUER, subject: 'c2', email: null })
      const results = await Promise.all([
        identities.unlink(user.id, identity.id, { passwordCounts: true }),
        identities.unlink(user.id, second.id, { passwordCounts: true }),
      ])
      expect(results.sort()).toEqual(['last_sign_in', 'removed'])
      expect(await identities.listForUser(user.id)).toHaveLength(1)
    })

    it('[ID4] when an identity is looked up for an unknown user then the list is empty', async () => {
      const { identities } = await setup()
      expect(await identities.listForUser('nobody')).toEqual([])
      expect(await identities.hasPassword('nobody')).toBe(false)
    })
  })
}

import { describe, expect, it, onTestFinished } from 'vitest'
import { AppError } from '../../src/protocol/appError.js'
import type { ErrorCode } from '../../src/protocol/errorCodes.js'
import type { CanvasStore, StoreLimits, User } from '../../src/store/canvasStore.js'
import { testClock, TEST_EPOCH_MS, type TestClock } from '../support/clock.js'
import { anyString } from '../support/matchers.js'

/** One store on a fresh, migrated, empty database. */
export interface CanvasStoreHarness {
  store: CanvasStore
  /** Makes the database unreachable under the store (e.g. closes its connection) [ST4]. */
  makeUnavailable(): Promise<void>
  /** Closes everything and deletes the database; called once per test. */
  dispose(): Promise<void>
}

export interface CanvasStoreImplementation {
  name: string
  /** `now` is the store's clock for createdAt / updatedAt; `limits` replace the default caps. */
  create(options: { now: () => number; limits?: StoreLimits }): Promise<CanvasStoreHarness>
}

const iso = (ms: number) => new Date(ms).toISOString()

async function expectRejection(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, `expected an AppError ${code}`).toBeInstanceOf(AppError)
  expect((err as AppError).code).toBe(code)
}

/**
 * The guarantees of `CanvasStore` (src/store/canvasStore.ts), [ST1]..[ST4] and every method,
 * run once per implementation (tldraw's storage contract suite pattern).
 */
export function registerCanvasStoreContractTests(impl: CanvasStoreImplementation): void {
  describe(`CanvasStore contract: ${impl.name}`, () => {
    async function setup(
      limits?: StoreLimits,
    ): Promise<{ store: CanvasStore; harness: CanvasStoreHarness; clock: TestClock }> {
      const clock = testClock()
      const harness = await impl.create({ now: clock.now, ...(limits ? { limits } : {}) })
      onTestFinished(() => harness.dispose())
      return { store: harness.store, harness, clock }
    }

    let seq = 0
    const newUser = (store: CanvasStore, username = 'someone'): Promise<User> => {
      seq += 1
      return store.createUser({ email: `u${seq}@example.test`, username, passwordHash: `hash-${seq}` })
    }

    it('when pinged then it resolves', async () => {
      const { store } = await setup()
      await expect(store.ping()).resolves.toBeUndefined()
    })

    describe('users [ST1]', () => {
      it('[ST1] when a user is created then it is found by email with its hash, and by id without', async () => {
        const { store } = await setup()
        const user = await store.createUser({
          email: "o'brien+1@example.test",
          username: "Zoë '; DROP TABLE users; --",
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def',
        })
        expect(user).toStrictEqual({
          id: anyString(),
          email: "o'brien+1@example.test",
          username: "Zoë '; DROP TABLE users; --",
          createdAt: iso(TEST_EPOCH_MS),
        })
        expect(await store.findUserByEmail("o'brien+1@example.test")).toStrictEqual({
          ...user,
          passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def',
        })
        expect(await store.getUser(user.id)).toStrictEqual(user)
      })

      it('[ST1] when an email is taken then createUser rejects with conflict and the first account stays', async () => {
        const { store } = await setup()
        const first = await store.createUser({
          email: 'taken@example.test',
          username: 'first',
          passwordHash: 'h1',
        })
        await expectRejection(
          store.createUser({ email: 'taken@example.test', username: 'second', passwordHash: 'h2' }),
          'conflict',
        )
        expect(await store.findUserByEmail('taken@example.test')).toStrictEqual({
          ...first,
          passwordHash: 'h1',
        })
      })

      it('[ST1] when emails differ in letter case then they are compared as stored (callers normalise)', async () => {
        const { store } = await setup()
        await store.createUser({ email: 'case@example.test', username: 'lower', passwordHash: 'h' })
        expect(await store.findUserByEmail('CASE@example.test')).toBeUndefined()
      })

      it('when a user id or email is unknown then undefined', async () => {
        const { store } = await setup()
        expect(await store.getUser('no-such-user')).toBeUndefined()
        expect(await store.findUserByEmail('nobody@example.test')).toBeUndefined()
        expect(await store.findUserByEmail("' OR '1'='1")).toBeUndefined()
      })

      it('when users are created then each gets its own id', async () => {
        const { store } = await setup()
        const ids = new Set<string>()
        for (let i = 0; i < 20; i++) ids.add((await newUser(store)).id)
        expect(ids.size).toBe(20)
      })
    })

    describe('sessions [ST2]', () => {
      it('[ST2] when a session is created then its hash finds it until expiresAt, never at or after', async () => {
        const { store } = await setup()
        const user = await newUser(store)
        const expiresAt = TEST_EPOCH_MS + 60_000
        await store.createSession({ tokenHash: 'a'.repeat(64), userId: user.id, expiresAt })
        expect(await store.findSession('a'.repeat(64), TEST_EPOCH_MS)).toStrictEqual({
          userId: user.id,
          expiresAt,
        })
        expect(await store.findSession('a'.repeat(64), expiresAt - 1)).toStrictEqual({
          userId: user.id,
          expiresAt,
        })
        expect(await store.findSession('a'.repeat(64), expiresAt)).toBeUndefined()
        expect(await store.findSession('a'.repeat(64), expiresAt + 1)).toBeUndefined()
      })

      it('[ST2] when looked up by anything but the exact hash then no session', async () => {
        const { store } = await setup()
        const user = await newUser(store)
        await store.createSession({
          tokenHash: 'b'.repeat(64),
          userId: user.id,
          expiresAt: TEST_EPOCH_MS + 1000,
        })
        for (const other of ['b'.repeat(63), 'B'.repeat(64), user.id, '', "' OR '1'='1"]) {
          expect(await store.findSession(other, TEST_EPOCH_MS)).toBeUndefined()
        }
      })

      it('[ST2] when a session is deleted then it is never returned again; deleting twice is harmless', async () => {
        const { store } = await setup()
        const user = await newUser(store)
        await store.createSession({
          tokenHash: 'c'.repeat(64),
          userId: user.id,
          expiresAt: TEST_EPOCH_MS + 1000,
        })
        await store.createSession({
          tokenHash: 'd'.repeat(64),
          userId: user.id,
          expiresAt: TEST_EPOCH_MS + 1000,
        })
        await store.deleteSession('c'.repeat(64))
        await store.deleteSession('c'.repeat(64))
        expect(await store.findSession('c'.repeat(64), TEST_EPOCH_MS)).toBeUndefined()
        expect(await store.findSession('d'.repeat(64), TEST_EPOCH_MS)).toStrictEqual({
          userId: user.id,
          expiresAt: TEST_EPOCH_MS + 1000,
        })
      })

      it('[ST2] when deleteExpiredSessions runs then it removes exactly the expired ones and counts them', async () => {
        const { store } = await setup()
        const user = await newUser(store)
        const at = (n: number) => TEST_EPOCH_MS + n * 1000
        await store.createSession({ tokenHash: 'e1', userId: user.id, expiresAt: at(1) })
        await store.createSession({ tokenHash: 'e2', userId: user.id, expiresAt: at(2) })
        await store.createSession({ tokenHash: 'live', userId: user.id, expiresAt: at(10) })
        expect(await store.deleteExpiredSessions(at(2))).toBe(2)
        expect(await store.deleteExpiredSessions(at(2))).toBe(0)
        expect(await store.findSession('live', at(2))).toStrictEqual({ userId: user.id, expiresAt: at(10) })
        expect(await store.deleteExpiredSessions(at(10))).toBe(1)
        expect(await store.findSession('live', at(9))).toBeUndefined()
      })
    })

    describe('canvases [ST3]', () => {
      it('[ST3] when a canvas is created then its owner sees it as owner, nobody else sees it', async () => {
        const { store } = await setup()
        const owner = await newUser(store)
        const stranger = await newUser(store)
        const canvas = await store.createCanvas({ name: '<script>alert(1)</script> 🎨', ownerId: owner.id })
        expect(canvas).toStrictEqual({
          id: anyString(),
          name: '<script>alert(1)</script> 🎨',
          ownerId: owner.id,
          role: 'owner',
          createdAt: iso(TEST_EPOCH_MS),
          updatedAt: iso(TEST_EPOCH_MS),
        })
        expect(await store.getCanvasForUser(canvas.id, owner.id)).toStrictEqual(canvas)
        expect(await store.getCanvasForUser(canvas.id, stranger.id)).toBeUndefined()
        expect(await store.listCanvases(stranger.id)).toEqual([])
        expect(await store.canvasExists(canvas.id)).toBe(true)
        expect(await store.canvasExists('no-such-canvas')).toBe(false)
        expect(await store.getCanvasForUser('no-such-canvas', owner.id)).toBeUndefined()
      })

      it('[ST3] when listing then owned and shared canvases come with the role, most recently updated first', async () => {
        const { store, clock } = await setup()
        const alice = await newUser(store, 'alice')
        const bob = await newUser(store, 'bob')
        const carol = await newUser(store, 'carol')
        const mine = await store.createCanvas({ name: 'mine', ownerId: alice.id })
        clock.advance(1000)
        const shared = await store.createCanvas({ name: 'shared', ownerId: bob.id })
        await store.upsertMember(shared.id, alice.id, 'viewer')
        clock.advance(1000)
        await store.createCanvas({ name: 'private', ownerId: carol.id })
        expect((await store.listCanvases(alice.id)).map((c) => [c.name, c.role])).toEqual([
          ['shared', 'viewer'],
          ['mine', 'owner'],
        ])
        clock.advance(1000)
        await store.renameCanvas(mine.id, 'mine, renamed')
        expect((await store.listCanvases(alice.id)).map((c) => [c.name, c.role])).toEqual([
          ['mine, renamed', 'owner'],
          ['shared', 'viewer'],
        ])
      })

      it('when a canvas is renamed then name and updatedAt change and createdAt does not', async () => {
        const { store, clock } = await setup()
        const owner = await newUser(store)
        const canvas = await store.createCanvas({ name: 'before', ownerId: owner.id })
        clock.advance(5000)
        const renamed = await store.renameCanvas(canvas.id, "after'; --")
        expect(renamed).toStrictEqual({
          id: canvas.id,
          name: "after'; --",
          ownerId: owner.id,
          createdAt: iso(TEST_EPOCH_MS),
          updatedAt: iso(TEST_EPOCH_MS + 5000),
        })
        expect((await store.getCanvasForUser(canvas.id, owner.id))?.name).toBe("after'; --")
        expect(await store.renameCanvas('no-such-canvas', 'x')).toBeUndefined()
      })

      it('[ST3] when a canvas is deleted then it and its memberships are gone for everyone', async () => {
        const { store } = await setup()
        const owner = await newUser(store)
        const member = await newUser(store)
        const canvas = await store.createCanvas({ name: 'doomed', ownerId: owner.id })
        const kept = await store.createCanvas({ name: 'kept', ownerId: owner.id })
        await store.upsertMember(canvas.id, member.id, 'editor')
        await store.upsertMember(kept.id, member.id, 'viewer')
        expect(await store.deleteCanvas(canvas.id)).toBe(true)
        expect(await store.deleteCanvas(canvas.id)).toBe(false)
        expect(await store.getCanvasForUser(canvas.id, owner.id)).toBeUndefined()
        expect(await store.getCanvasForUser(canvas.id, member.id)).toBeUndefined()
        expect(await store.canvasExists(canvas.id)).toBe(false)
        expect(await store.listMembers(canvas.id)).toEqual([])
        expect(await store.removeMember(canvas.id, member.id)).toBe(false)
        expect((await store.listCanvases(member.id)).map((c) => c.id)).toEqual([kept.id])
        expect((await store.listMembers(kept.id)).map((m) => m.userId)).toEqual([owner.id, member.id])
      })

      it('[ST3] when a user is a member of one canvas then they see nothing of another', async () => {
        const { store } = await setup()
        const owner = await newUser(store)
        const member = await newUser(store)
        const one = await store.createCanvas({ name: 'one', ownerId: owner.id })
        const two = await store.createCanvas({ name: 'two', ownerId: owner.id })
        await store.upsertMember(one.id, member.id, 'editor')
        expect(await store.getCanvasForUser(two.id, member.id)).toBeUndefined()
        expect((await store.listCanvases(member.id)).map((c) => c.id)).toEqual([one.id])
      })
    })

    describe('members', () => {
      it('when listing members then the owner comes first, then members by username', async () => {
        const { store } = await setup()
        const owner = await newUser(store, 'zed')
        const carol = await newUser(store, 'carol')
        const alice = await newUser(store, 'alice')
        const bob = await newUser(store, 'bob')
        const canvas = await store.createCanvas({ name: 'team', ownerId: owner.id })
        await store.upsertMember(canvas.id, carol.id, 'viewer')
        await store.upsertMember(canvas.id, alice.id, 'editor')
        await store.upsertMember(canvas.id, bob.id, 'viewer')
        const entry = (u: User, role: string) => ({
          userId: u.id,
          email: u.email,
          username: u.username,
          role,
        })
        expect(await store.listMembers(canvas.id)).toStrictEqual([
          entry(owner, 'owner'),
          entry(alice, 'editor'),
          entry(bob, 'viewer'),
          entry(carol, 'viewer'),
        ])
        expect(await store.listMembers('no-such-canvas')).toEqual([])
      })

      it('when a member is upserted then created the first time, updated after, and the role follows', async () => {
        const { store } = await setup()
        const owner = await newUser(store)
        const member = await newUser(store)
        const canvas = await store.createCanvas({ name: 'c', ownerId: owner.id })
        expect(await store.upsertMember(canvas.id, member.id, 'viewer')).toBe('created')
        expect((await store.getCanvasForUser(canvas.id, member.id))?.role).toBe('viewer')
        expect(await store.upsertMember(canvas.id, member.id, 'editor')).toBe('updated')
        expect((await store.getCanvasForUser(canvas.id, member.id))?.role).toBe('editor')
        expect(await store.upsertMember(canvas.id, member.id, 'editor')).toBe('updated')
        expect((await store.listMembers(canvas.id)).map((m) => m.role)).toEqual(['owner', 'editor'])
      })

      it('when a member is removed then true once, false after, and they no longer see the canvas', async () => {
        const { store } = await setup()
        const owner = await newUser(store)
        const member = await newUser(store)
        const canvas = await store.createCanvas({ name: 'c', ownerId: owner.id })
        await store.upsertMember(canvas.id, member.id, 'viewer')
        expect(await store.removeMember(canvas.id, member.id)).toBe(true)
        expect(await store.removeMember(canvas.id, member.id)).toBe(false)
        expect(await store.getCanvasForUser(canvas.id, member.id)).toBeUndefined()
        // The owner is not a membership: removeMember cannot take a canvas from its owner.
        expect(await store.removeMember(canvas.id, owner.id)).toBe(false)
        expect((await store.getCanvasForUser(canvas.id, owner.id))?.role).toBe('owner')
      })
    })

    describe('caps [ST5][I1]', () => {
      const limits: StoreLimits = { maxCanvasesPerOwner: 3, maxMembersPerCanvas: 2 }

      it('[ST5][I1] when an owner creates one canvas past the cap, then limit_exceeded and it is not stored; shared canvases and other owners do not count', async () => {
        const { store } = await setup(limits)
        const owner = await newUser(store)
        const other = await newUser(store)
        const shared = await store.createCanvas({ name: 'theirs', ownerId: other.id })
        await store.upsertMember(shared.id, owner.id, 'editor')
        for (let i = 0; i < 3; i++) await store.createCanvas({ name: `c${i}`, ownerId: owner.id })
        await expectRejection(
          store.createCanvas({ name: 'one too many', ownerId: owner.id }),
          'limit_exceeded',
        )
        expect((await store.listCanvases(owner.id)).map((c) => c.name).sort()).toEqual([
          'c0',
          'c1',
          'c2',
          'theirs',
        ])
        // Another owner is not affected, and deleting one frees a place.
        await store.createCanvas({ name: 'fine', ownerId: other.id })
        const owned = (await store.listCanvases(owner.id)).find((c) => c.role === 'owner')
        await store.deleteCanvas((owned as { id: string }).id)
        await store.createCanvas({ name: 'again', ownerId: owner.id })
      })

      it('[ST5][I1] when creates for one owner race at the cap, then exactly the places left are taken', async () => {
        const { store } = await setup(limits)
        const owner = await newUser(store)
        await store.createCanvas({ name: 'first', ownerId: owner.id })
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => store.createCanvas({ name: `race ${i}`, ownerId: owner.id })),
        )
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2)
        for (const o of outcomes)
          if (o.status === 'rejected') expect((o.reason as AppError).code).toBe('limit_exceeded')
        expect(await store.listCanvases(owner.id)).toHaveLength(3)
      })

      it('[ST5][I1] when a member is added past the cap, then limit_exceeded and not stored; changing a role at the cap still works', async () => {
        const { store } = await setup(limits)
        const owner = await newUser(store)
        const [a, b, c] = [await newUser(store), await newUser(store), await newUser(store)]
        const canvas = await store.createCanvas({ name: 'team', ownerId: owner.id })
        await store.upsertMember(canvas.id, a.id, 'viewer')
        await store.upsertMember(canvas.id, b.id, 'viewer')
        await expectRejection(store.upsertMember(canvas.id, c.id, 'viewer'), 'limit_exceeded')
        expect(await store.getCanvasForUser(canvas.id, c.id)).toBeUndefined()
        expect(await store.upsertMember(canvas.id, b.id, 'editor')).toBe('updated')
        expect((await store.listMembers(canvas.id)).map((m) => m.userId)).toHaveLength(3)
        await store.removeMember(canvas.id, a.id)
        expect(await store.upsertMember(canvas.id, c.id, 'viewer')).toBe('created')
      })
    })

    describe('failures [ST4]', () => {
      it('[ST4] when the database is unavailable then every method rejects with storage_unavailable', async () => {
        const { store, harness } = await setup()
        const owner = await newUser(store)
        const canvas = await store.createCanvas({ name: 'c', ownerId: owner.id })
        await harness.makeUnavailable()
        const calls: [string, () => Promise<unknown>][] = [
          ['ping', () => store.ping()],
          [
            'createUser',
            () => store.createUser({ email: 'x@example.test', username: 'x', passwordHash: 'h' }),
          ],
          ['findUserByEmail', () => store.findUserByEmail(owner.email)],
          ['getUser', () => store.getUser(owner.id)],
          ['createSession', () => store.createSession({ tokenHash: 't', userId: owner.id, expiresAt: 1 })],
          ['findSession', () => store.findSession('t', 0)],
          ['deleteSession', () => store.deleteSession('t')],
          ['deleteExpiredSessions', () => store.deleteExpiredSessions(0)],
          ['createCanvas', () => store.createCanvas({ name: 'c', ownerId: owner.id })],
          ['listCanvases', () => store.listCanvases(owner.id)],
          ['getCanvasForUser', () => store.getCanvasForUser(canvas.id, owner.id)],
          ['canvasExists', () => store.canvasExists(canvas.id)],
          ['renameCanvas', () => store.renameCanvas(canvas.id, 'n')],
          ['deleteCanvas', () => store.deleteCanvas(canvas.id)],
          ['listMembers', () => store.listMembers(canvas.id)],
          ['upsertMember', () => store.upsertMember(canvas.id, owner.id, 'viewer')],
          ['removeMember', () => store.removeMember(canvas.id, owner.id)],
        ]
        for (const [name, call] of calls) {
          const err: unknown = await call().then(
            () => new Error(`${name} resolved`),
            (e: unknown) => e,
          )
          expect(err, name).toBeInstanceOf(AppError)
          expect((err as AppError).code, name).toBe('storage_unavailable')
        }
      })
    })
  })
}

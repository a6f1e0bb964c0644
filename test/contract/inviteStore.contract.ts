import { describe, expect, it, onTestFinished } from 'vitest'
import { AppError } from '../../src/protocol/appError.js'
import type { CanvasStore } from '../../src/store/canvasStore.js'
import type { InviteLimits, InviteStore } from '../../src/store/inviteStore.js'
import { testClock, TEST_EPOCH_MS, type TestClock } from '../support/clock.js'

/** An invite store and the canvas store it shares a database with, fresh and empty. */
export interface InviteStoreHarness {
  invites: InviteStore
  store: CanvasStore
  dispose(): Promise<void>
}

export interface InviteStoreImplementation {
  name: string
  create(options: { now: () => number; limits?: InviteLimits }): Promise<InviteStoreHarness>
}

const HOUR = 3_600_000

/** The guarantees of `InviteStore` (src/store/inviteStore.ts), [INV1]..[INV6], per implementation. */
export function registerInviteStoreContractTests(impl: InviteStoreImplementation): void {
  describe(`InviteStore contract: ${impl.name}`, () => {
    let n = 0
    async function setup(limits?: InviteLimits) {
      const clock: TestClock = testClock()
      const harness = await impl.create({ now: clock.now, ...(limits ? { limits } : {}) })
      onTestFinished(() => harness.dispose())
      const { store, invites } = harness
      const user = (name: string) => {
        n += 1
        return store.createUser({
          email: `${name}${n}@example.test`,
          username: `${name} ${n}`,
          passwordHash: 'h',
        })
      }
      const owner = await user('owner')
      const canvas = await store.createCanvas({ name: 'Board', ownerId: owner.id })
      return { store, invites, clock, user, owner, canvas }
    }

    it('[INV1] when an email is invited twice then one invitation holds the latest role and expiry', async () => {
      const { invites, owner, canvas, clock } = await setup()
      const first = await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'new@example.test',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(first).toMatchObject({
        kind: 'email',
        email: 'new@example.test',
        role: 'viewer',
        expiresAt: null,
      })
      const again = await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'new@example.test',
        role: 'editor',
        createdBy: owner.id,
        expiresAt: TEST_EPOCH_MS + HOUR,
      })
      expect(again.id).toBe(first.id)
      expect(await invites.listForCanvas(canvas.id, clock.now())).toStrictEqual([
        { ...first, role: 'editor', expiresAt: new Date(TEST_EPOCH_MS + HOUR).toISOString() },
      ])
    })

    it('[INV3][INV5] when the named user accepts then they are a member and the invitation is used up; another user cannot', async () => {
      const { store, invites, owner, canvas, clock, user } = await setup()
      const invitee = await user('invitee')
      const other = await user('other')
      const invite = await invites.inviteEmail({
        canvasId: canvas.id,
        email: invitee.email,
        role: 'editor',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(await invites.listForEmail(invitee.email, clock.now())).toStrictEqual([
        {
          id: invite.id,
          role: 'editor',
          createdAt: invite.createdAt,
          expiresAt: null,
          canvas: { id: canvas.id, name: 'Board' },
          invitedBy: { username: owner.username },
        },
      ])
      expect(await invites.acceptEmail(invite.id, other, clock.now())).toBeUndefined()
      expect(await store.getCanvasForUser(canvas.id, other.id)).toBeUndefined()
      expect(await invites.acceptEmail(invite.id, invitee, clock.now())).toStrictEqual({
        canvasId: canvas.id,
        role: 'editor',
      })
      expect((await store.getCanvasForUser(canvas.id, invitee.id))?.role).toBe('editor')
      expect(await invites.listForEmail(invitee.email, clock.now())).toStrictEqual([])
      expect(await invites.acceptEmail(invite.id, invitee, clock.now())).toBeUndefined()
    })

    it('[INV3] when an editor accepts a viewer invitation, or the owner a link, then no role is lowered', async () => {
      const { store, invites, owner, canvas, clock, user } = await setup()
      const editor = await user('editor')
      await store.upsertMember(canvas.id, editor.id, 'editor')
      const invite = await invites.inviteEmail({
        canvasId: canvas.id,
        email: editor.email,
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(await invites.acceptEmail(invite.id, editor, clock.now())).toStrictEqual({
        canvasId: canvas.id,
        role: 'editor',
      })
      await invites.createLink({
        canvasId: canvas.id,
        tokenHash: 'hash-1',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(await invites.acceptLink('hash-1', owner.id, clock.now())).toStrictEqual({
        canvasId: canvas.id,
        role: 'owner',
      })
      expect((await store.getCanvasForUser(canvas.id, owner.id))?.role).toBe('owner')
    })

    it('[INV3] when a link is redeemed then it stays for others until revoked; revoked, it is refused', async () => {
      const { store, invites, owner, canvas, clock, user } = await setup()
      const link = await invites.createLink({
        canvasId: canvas.id,
        tokenHash: 'hash-2',
        role: 'editor',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(link).toMatchObject({ kind: 'link', role: 'editor', canvasId: canvas.id })
      expect(link).not.toHaveProperty('email')
      expect(await invites.findLink('hash-2', clock.now())).toStrictEqual(link)
      const [a, b, c] = await Promise.all([user('a'), user('b'), user('c')])
      expect(await invites.acceptLink('hash-2', a.id, clock.now())).toStrictEqual({
        canvasId: canvas.id,
        role: 'editor',
      })
      expect(await invites.acceptLink('hash-2', b.id, clock.now())).toStrictEqual({
        canvasId: canvas.id,
        role: 'editor',
      })
      expect(await invites.revoke(canvas.id, link.id)).toBe(true)
      expect(await invites.revoke(canvas.id, link.id)).toBe(false)
      expect(await invites.acceptLink('hash-2', c.id, clock.now())).toBeUndefined()
      expect(await store.getCanvasForUser(canvas.id, c.id)).toBeUndefined()
      expect(await invites.findLink('hash-2', clock.now())).toBeUndefined()
      expect(await invites.acceptLink('no-such-hash', c.id, clock.now())).toBeUndefined()
    })

    it('[INV2] when an invitation expires then it is neither listed nor accepted', async () => {
      const { store, invites, owner, canvas, clock, user } = await setup()
      const invitee = await user('late')
      const invite = await invites.inviteEmail({
        canvasId: canvas.id,
        email: invitee.email,
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: clock.now() + HOUR,
      })
      await invites.createLink({
        canvasId: canvas.id,
        tokenHash: 'hash-3',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: clock.now() + HOUR,
      })
      clock.advance(HOUR)
      expect(await invites.listForCanvas(canvas.id, clock.now())).toStrictEqual([])
      expect(await invites.listForEmail(invitee.email, clock.now())).toStrictEqual([])
      expect(await invites.acceptEmail(invite.id, invitee, clock.now())).toBeUndefined()
      expect(await invites.acceptLink('hash-3', invitee.id, clock.now())).toBeUndefined()
      expect(await invites.acceptAllForEmail(invitee, clock.now())).toStrictEqual([])
      expect(await store.getCanvasForUser(canvas.id, invitee.id)).toBeUndefined()
    })

    it('[INV3] when a user registers then every live invitation for their email applies, each once', async () => {
      const { store, invites, owner, canvas, clock } = await setup()
      const second = await store.createCanvas({ name: 'Second', ownerId: owner.id })
      for (const [c, role] of [
        [canvas, 'editor'],
        [second, 'viewer'],
      ] as const)
        await invites.inviteEmail({
          canvasId: c.id,
          email: 'later@example.test',
          role,
          createdBy: owner.id,
          expiresAt: null,
        })
      const later = await store.createUser({
        email: 'later@example.test',
        username: 'later',
        passwordHash: 'h',
      })
      const accepted = await invites.acceptAllForEmail(later, clock.now())
      expect(accepted).toHaveLength(2)
      expect(accepted).toEqual(
        expect.arrayContaining([
          { canvasId: canvas.id, role: 'editor' },
          { canvasId: second.id, role: 'viewer' },
        ]),
      )
      expect((await store.listCanvases(later.id)).map((c) => c.name).sort()).toEqual(['Board', 'Second'])
      expect(await invites.acceptAllForEmail(later, clock.now())).toStrictEqual([])
    })

    it('[INV4] when the canvas is at its member cap then accepting is limit_exceeded and changes nothing', async () => {
      const { store, invites, owner, canvas, clock, user } = await setup({
        maxInvitesPerCanvas: 10,
        maxMembersPerCanvas: 1,
      })
      const [first, second] = await Promise.all([user('first'), user('second')])
      await store.upsertMember(canvas.id, first.id, 'viewer')
      const invite = await invites.inviteEmail({
        canvasId: canvas.id,
        email: second.email,
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      const err = await invites.acceptEmail(invite.id, second, clock.now()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AppError)
      expect(err).toMatchObject({ code: 'limit_exceeded' })
      expect(await store.getCanvasForUser(canvas.id, second.id)).toBeUndefined()
      expect(await invites.listForEmail(second.email, clock.now())).toHaveLength(1)
    })

    it('[INV4] when a canvas holds its cap of live invitations then one more is limit_exceeded, renewing one is not', async () => {
      const { invites, owner, canvas, clock } = await setup({
        maxInvitesPerCanvas: 2,
        maxMembersPerCanvas: 10,
      })
      await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'x@example.test',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      await invites.createLink({
        canvasId: canvas.id,
        tokenHash: 'hash-4',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      for (const attempt of [
        invites.inviteEmail({
          canvasId: canvas.id,
          email: 'y@example.test',
          role: 'viewer',
          createdBy: owner.id,
          expiresAt: null,
        }),
        invites.createLink({
          canvasId: canvas.id,
          tokenHash: 'hash-5',
          role: 'viewer',
          createdBy: owner.id,
          expiresAt: null,
        }),
      ]) {
        await expect(attempt).rejects.toMatchObject({ code: 'limit_exceeded' })
      }
      await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'x@example.test',
        role: 'editor',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(await invites.listForCanvas(canvas.id, clock.now())).toHaveLength(2)
    })

    it('when an invitee declines then the invitation is gone; nobody else can decline it', async () => {
      const { invites, owner, canvas, clock } = await setup()
      const invite = await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'no@example.test',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(await invites.decline(invite.id, 'someone@example.test')).toBe(false)
      expect(await invites.decline(invite.id, 'no@example.test')).toBe(true)
      expect(await invites.listForCanvas(canvas.id, clock.now())).toStrictEqual([])
    })

    it('[INV6] when a canvas is deleted then its invitations go with it', async () => {
      const { store, invites, owner, canvas, clock } = await setup()
      await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'gone@example.test',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      await invites.createLink({
        canvasId: canvas.id,
        tokenHash: 'hash-6',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      await store.deleteCanvas(canvas.id)
      expect(await invites.listForEmail('gone@example.test', clock.now())).toStrictEqual([])
      expect(await invites.findLink('hash-6', clock.now())).toBeUndefined()
    })

    it('when another canvas revokes an invitation id then nothing happens', async () => {
      const { store, invites, owner, canvas, clock } = await setup()
      const other = await store.createCanvas({ name: 'Other', ownerId: owner.id })
      const invite = await invites.inviteEmail({
        canvasId: canvas.id,
        email: 'keep@example.test',
        role: 'viewer',
        createdBy: owner.id,
        expiresAt: null,
      })
      expect(await invites.revoke(other.id, invite.id)).toBe(false)
      expect(await invites.listForCanvas(canvas.id, clock.now())).toHaveLength(1)
    })
  })
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { normaliseEmail } from '../../auth/accounts.js'
import { hashSessionToken, looksLikeSessionToken, newSessionToken } from '../../auth/sessionTokens.js'
import { AppError, notFound } from '../../protocol/appError.js'
import type { Role } from '../../protocol/roles.js'
import type { Acceptance } from '../../store/inviteStore.js'
import type { Deps } from '../deps.js'
import { requireAuth } from '../plugins/authentication.js'
import { canvasAccess } from './canvasAccess.js'
import { CanvasParams, Id } from './canvasRoutes.js'

const DAY_MS = 86_400_000
/** An email invitation nobody acts on lapses after this; the owner can send it again. */
export const EMAIL_INVITE_TTL_MS = 30 * DAY_MS

const Role = Type.Union([Type.Literal('editor'), Type.Literal('viewer')])
const InviteParams = Type.Object({ inviteId: Id })

/**
 * Sharing without telling who has an account [SHARE1]: the owner invites an email or makes a share
 * link; the invitee accepts (or registers with that email, or opens the link). Nothing lands in
 * anyone's canvas list without their doing.
 */
export const inviteRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, store, invites, bus, triggers, now } = deps
    const canvasFor = canvasAccess(accounts, store)

    /** A member's new role reaches their open sockets on every instance, as a role change does. */
    async function announce({ canvasId, role }: Acceptance, userId: string) {
      const canvas = await store.getCanvasForUser(canvasId, userId)
      if (!canvas) throw notFound('canvas')
      if (role !== 'owner') await shared(canvas.ownerId, canvasId, userId, role)
      return { canvas }
    }

    /** Someone's access changed: their open sockets, and the owner's automations, hear of it. */
    async function shared(ownerId: string, canvasId: string, userId: string, role: Role) {
      bus.publishNotice(canvasId, { kind: 'access', userId, role })
      await triggers.canvasChanged(ownerId, 'canvas.shared', { canvasId, userId, role })
    }

    app.post(
      '/api/canvases/:id/members',
      {
        schema: {
          params: CanvasParams,
          body: Type.Object(
            { email: Type.String({ format: 'email', maxLength: 254 }), role: Role },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { user, canvas } = await canvasFor(request, request.params.id)
        const email = normaliseEmail(request.body.email)
        const { role } = request.body
        if (email === user.email) throw new AppError('conflict', 'the owner already has full access')
        // The owner already sees members' emails: changing a member's role tells nothing new.
        const member = (await store.listMembers(canvas.id)).find((m) => m.email === email)
        if (member) {
          if (member.role !== role) {
            await store.upsertMember(canvas.id, member.userId, role)
            await shared(canvas.ownerId, canvas.id, member.userId, role)
          }
          return reply.code(200).send({ member: { ...member, role } })
        }
        // Everyone else, registered or not, gets the same answer: an invitation [SHARE1].
        const invite = await invites.inviteEmail({
          canvasId: canvas.id,
          email,
          role,
          createdBy: user.id,
          expiresAt: now() + EMAIL_INVITE_TTL_MS,
        })
        return reply.code(201).send({ invite })
      },
    )

    app.get('/api/canvases/:id/invites', { schema: { params: CanvasParams } }, async (request) => {
      const { canvas } = await canvasFor(request, request.params.id)
      return { invites: await invites.listForCanvas(canvas.id, now()) }
    })

    app.post(
      '/api/canvases/:id/share-links',
      {
        schema: {
          params: CanvasParams,
          body: Type.Object(
            { role: Role, expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { user, canvas } = await canvasFor(request, request.params.id)
        const { role, expiresInDays } = request.body
        // A share link is a bearer secret like a session: 256 bits, stored only as a hash.
        const token = newSessionToken()
        const invite = await invites.createLink({
          canvasId: canvas.id,
          tokenHash: hashSessionToken(token),
          role,
          createdBy: user.id,
          expiresAt: expiresInDays === undefined ? null : now() + expiresInDays * DAY_MS,
        })
        return reply.code(201).send({ invite, token, path: `/join/${token}` })
      },
    )

    app.delete(
      '/api/canvases/:id/invites/:inviteId',
      { schema: { params: Type.Object({ id: Id, inviteId: Id }) } },
      async (request, reply) => {
        const { canvas } = await canvasFor(request, request.params.id)
        if (!(await invites.revoke(canvas.id, request.params.inviteId))) throw notFound('invitation')
        return reply.code(204).send()
      },
    )

    app.get('/api/invites', async (request) => {
      const { user } = await requireAuth(request, accounts)
      return { invites: await invites.listForEmail(user.email, now()) }
    })

    app.post('/api/invites/:inviteId/accept', { schema: { params: InviteParams } }, async (request) => {
      const { user } = await requireAuth(request, accounts)
      const accepted = await invites.acceptEmail(request.params.inviteId, user, now())
      if (!accepted) throw notFound('invitation')
      return announce(accepted, user.id)
    })

    app.delete('/api/invites/:inviteId', { schema: { params: InviteParams } }, async (request, reply) => {
      const { user } = await requireAuth(request, accounts)
      if (!(await invites.decline(request.params.inviteId, user.email))) throw notFound('invitation')
      return reply.code(204).send()
    })

    app.post(
      '/api/share-links/:token/accept',
      { schema: { params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) }) } },
      async (request) => {
        const { user } = await requireAuth(request, accounts)
        const { token } = request.params
        const accepted = looksLikeSessionToken(token)
          ? await invites.acceptLink(hashSessionToken(token), user.id, now())
          : undefined
        if (!accepted)
          throw new AppError('not_found', 'this share link is not valid: it was revoked, or it expired')
        return announce(accepted, user.id)
      },
    )
  }

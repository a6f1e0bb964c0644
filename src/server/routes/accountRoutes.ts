import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { SignedIn } from '../../auth/accounts.js'
import { isCommonPassword } from '../../auth/commonPasswords.js'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../auth/passwords.js'
import { invalidInput } from '../../protocol/appError.js'
import type { Deps } from '../deps.js'
import { VisibleText } from './textSchemas.js'
import {
  authenticate,
  clearSessionCookie,
  deviceCookieOf,
  requireAuth,
  sessionTokenOf,
  setSessionCookie,
} from '../plugins/authentication.js'

const Email = Type.String({ format: 'email', maxLength: 254 })
const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
const Username = VisibleText(40)

/** The contract's body: the device token travels only in its cookie. */
const signedInBody = ({ user, sessionId }: SignedIn) => ({ user, sessionId })

export const accountRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, config } = deps

    app.post(
      '/api/register',
      {
        schema: {
          body: Type.Object(
            { email: Email, username: Username, password: Password },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        if (isCommonPassword(request.body.password)) {
          throw invalidInput(
            'body.password',
            'body.password is one of the most common passwords: choose another',
          )
        }
        const signedIn = await accounts.register(request.body, request.ip)
        // Invitations sent to this email before it had an account apply now [SHARE1]. The account
        // exists either way: a failure here leaves them pending, to accept from the list.
        await deps.invites.acceptAllForEmail(signedIn.user, deps.now()).catch((err: unknown) => {
          request.log.warn({ err }, 'applying pending invitations failed')
        })
        setSessionCookie(request, reply, signedIn, config.sessionTimeoutSec)
        return reply.code(201).send(signedInBody(signedIn))
      },
    )

    app.post(
      '/api/login',
      {
        schema: {
          // No length floor on login: an old short password must still get "invalid credentials", not 400.
          body: Type.Object(
            {
              email: Type.String({ maxLength: 254 }),
              password: Type.String({ maxLength: PASSWORD_MAX_LENGTH }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const signedIn = await accounts.login(request.body, request.ip, deviceCookieOf(request.headers))
        setSessionCookie(request, reply, signedIn, config.sessionTimeoutSec)
        return reply.send(signedInBody(signedIn))
      },
    )

    app.post('/api/logout', async (request, reply) => {
      const token = sessionTokenOf(request)
      if (token !== undefined) await accounts.logout(token)
      clearSessionCookie(request, reply)
      return reply.code(204).send()
    })

    app.get('/api/session', async (request) => {
      const { user } = await requireAuth(request, accounts)
      return { user }
    })

    // The web app's question on every page load: 200 either way, so a signed-out visit does not
    // log a failed request in the browser's console; API clients keep GET /api/session [ED-D6].
    app.get('/api/session/current', async (request) => {
      const auth = await authenticate(request, accounts)
      return { user: auth?.user ?? null }
    })
  }

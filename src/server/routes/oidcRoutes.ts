import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { serialize as serializeCookie, parse as parseCookies } from 'cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import * as client from 'openid-client'
import { Type } from 'typebox'
import type { Oidc } from '../../auth/oidc/oidc.js'
import { OidcSignIn, type SsoRefusal } from '../../auth/oidc/oidcSignIn.js'
import { safeReturnTo } from '../../auth/oidc/returnTo.js'
import { TRANSACTION_TTL_MS, type OidcTransaction } from '../../auth/oidc/transactionCookie.js'
import { AppError, notFound } from '../../protocol/appError.js'
import type { AuthProvidersBody, IdentitiesBody } from '../../protocol/httpTypes.js'
import type { Deps } from '../deps.js'
import {
  authenticate,
  clearSessionCookie,
  requireAuth,
  sessionTokenOf,
  setSessionCookie,
} from '../plugins/authentication.js'

/** Carries one login's state, nonce and PKCE verifier to the callback (transactionCookie.ts). */
const TX_COOKIE = 'oidc_tx'
/** Only the /auth/ routes read it. */
const TX_COOKIE_PATH = '/auth/'

/** Why the browser came back to the sign-in or account page (`?sso_error=`); the web app explains. */
type SsoError = SsoRefusal | 'unavailable' | 'cancelled' | 'failed'

const ReturnToQuery = Type.Object(
  { returnTo: Type.Optional(Type.String({ maxLength: 2048 })) },
  { additionalProperties: false },
)
// The provider's answer: code, state, iss, session_state, error, error_description, … Their
// names vary by provider; the library reads them from the whole URL, and the route bounds them.
const CallbackQuery = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 4096 }), {
  maxProperties: 16,
})
const IdentityParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

const notConfigured = () => notFound('single sign-on')

function txCookieOptions(request: FastifyRequest) {
  // Lax: the provider's redirect back is a top-level GET from another site, which Lax lets through.
  return {
    path: TX_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: request.protocol === 'https',
  }
}

function clearTxCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    'set-cookie',
    serializeCookie(TX_COOKIE, '', { ...txCookieOptions(request), maxAge: 0, expires: new Date(0) }),
  )
}

/**
 * OpenID Connect sign-in (docs/auth.md): /auth/login, /auth/callback, /auth/link, /auth/logout
 * for the browser, and the account's linked identities under /api. The routes exist whether or
 * not OIDC is configured (one route table); unconfigured, the /auth/ ones answer 404.
 */
export const oidcRoutes =
  (deps: Deps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { accounts, config, oidc } = deps
    const signIn = new OidcSignIn(accounts, deps.store, deps.identities, config.passwordLogin)

    /** Starts an authorization request: the cookie, then the redirect to the provider. */
    const startFlow = async (
      request: FastifyRequest,
      reply: FastifyReply,
      o: Oidc,
      tx: Pick<OidcTransaction, 'mode' | 'returnTo' | 'linkSession'>,
    ) => {
      const configuration = o.client.config
      if (!configuration) return reply.redirect(errorPage(tx.mode, 'unavailable'), 302)
      const codeVerifier = client.randomPKCECodeVerifier()
      const transaction: OidcTransaction = {
        ...tx,
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier,
        expiresAt: deps.now() + TRANSACTION_TTL_MS,
      }
      const url = o.client.authorizationUrl(
        {
          state: transaction.state,
          nonce: transaction.nonce,
          codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
        },
        configuration,
      )
      reply.header(
        'set-cookie',
        serializeCookie(TX_COOKIE, o.transactions.seal(transaction), {
          ...txCookieOptions(request),
          maxAge: TRANSACTION_TTL_MS / 1000,
        }),
      )
      return reply.redirect(url.href, 302)
    }

    app.get('/api/auth/providers', async (): Promise<AuthProvidersBody> => ({
      sso: oidc ? { name: oidc.settings.providerName } : null,
      passwordLogin: config.passwordLogin,
    }))

    app.get('/auth/login', { schema: { querystring: ReturnToQuery } }, async (request, reply) => {
      if (!oidc) throw notConfigured()
      return startFlow(request, reply, oidc, {
        mode: 'login',
        returnTo: safeReturnTo(request.query.returnTo),
      })
    })

    app.get('/auth/link', { schema: { querystring: ReturnToQuery } }, async (request, reply) => {
      const auth = await requireAuth(request, accounts)
      if (!oidc) throw notConfigured()
      // Only a browser session links: an access token is the identity it would link.
      if (auth.sessionHash.startsWith('access-token:')) {
        throw new AppError('forbidden', 'link identities from a signed-in browser session')
      }
      return startFlow(request, reply, oidc, {
        mode: 'link',
        returnTo: safeReturnTo(request.query.returnTo, '/account'),
        linkSession: auth.sessionHash,
      })
    })

    app.get('/auth/callback', { schema: { querystring: CallbackQuery } }, async (request, reply) => {
      if (!oidc) throw notConfigured()
      const cookie =
        request.headers.cookie === undefined ? undefined : parseCookies(request.headers.cookie)[TX_COOKIE]
      const tx = oidc.transactions.open(cookie, deps.now())
      // Used up whatever happens next: the same callback cannot be completed twice [J2].
      clearTxCookie(request, reply)
      if (!tx) {
        request.log.warn('OIDC callback without a valid transaction cookie (expired, replayed or forged)')
        return reply.redirect(errorPage('login', 'failed'), 302)
      }
      const configuration = oidc.client.config
      if (!configuration) return reply.redirect(errorPage(tx.mode, 'unavailable'), 302)
      // The whole URL as the provider sent it, on our registered redirect URI (never the Host
      // header): the library checks state, iss and the code against it.
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''
      const callbackUrl = new URL(`${oidc.settings.redirectUrl}${query}`)
      let claims
      try {
        claims = await oidc.client.exchange(callbackUrl, tx, configuration)
      } catch (err) {
        const cancelled = (err as { error?: unknown }).error === 'access_denied'
        request.log.warn({ err }, 'OIDC callback refused')
        return reply.redirect(errorPage(tx.mode, cancelled ? 'cancelled' : 'failed'), 302)
      }

      if (tx.mode === 'link') {
        const auth = await authenticate(request, accounts)
        // The session that asked for the link must be the one finishing it.
        if (!auth || auth.sessionHash !== tx.linkSession) {
          request.log.warn('OIDC link finished outside the session that started it')
          return reply.redirect(errorPage('link', 'failed'), 302)
        }
        const outcome = await signIn.link(auth.user.id, claims)
        if (outcome.kind === 'refused') return reply.redirect(errorPage('link', outcome.reason), 302)
        return reply.redirect(tx.returnTo, 302)
      }

      const outcome = await signIn.signIn(claims)
      if (outcome.kind === 'refused') return reply.redirect(errorPage('login', outcome.reason), 302)
      if (outcome.kind !== 'signed-in') throw new AppError('internal', 'unexpected sign-in outcome')
      const { signedIn } = outcome
      if (outcome.created) {
        // As on registration: invitations sent to this (verified) email apply now [SHARE1].
        await deps.invites.acceptAllForEmail(signedIn.user, deps.now()).catch((err: unknown) => {
          request.log.warn({ err }, 'applying pending invitations failed')
        })
      }
      setSessionCookie(request, reply, signedIn, config.sessionTimeoutSec)
      return reply.redirect(tx.returnTo, 302)
    })

    app.get('/auth/logout', async (request, reply) => {
      if (!oidc) throw notConfigured()
      const token = sessionTokenOf(request)
      // Ends the session everywhere (its sockets too), then the provider's session.
      if (token !== undefined) await accounts.logout(token)
      clearSessionCookie(request, reply)
      return reply.redirect(oidc.client.endSessionUrl()?.href ?? '/signin', 302)
    })

    app.get('/api/identities', async (request): Promise<IdentitiesBody> => {
      const { user } = await requireAuth(request, accounts)
      const identities = await signIn.list(user.id)
      return {
        identities: identities.map(({ id, issuer, email, createdAt }) => ({ id, issuer, email, createdAt })),
        hasPassword: await signIn.hasPassword(user.id),
      }
    })

    app.delete('/api/identities/:id', { schema: { params: IdentityParams } }, async (request, reply) => {
      const { user } = await requireAuth(request, accounts)
      const result = await signIn.unlink(user.id, request.params.id)
      if (result === 'not_found') throw notFound('identity')
      if (result === 'last_sign_in') {
        throw new AppError(
          'conflict',
          'this is your only way to sign in: link another one or set a password first',
        )
      }
      return reply.code(204).send()
    })
  }

function errorPage(mode: OidcTransaction['mode'], error: SsoError): string {
  return `${mode === 'link' ? '/account' : '/signin'}?sso_error=${error}`
}

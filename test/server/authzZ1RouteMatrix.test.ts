import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { can } from '../../src/core/permissions.js'
import { ROUTE_ACCESS, routeKey, type Access } from '../../src/server/routes/accessPolicy.js'
import type { ApiRequest } from '../support/apiClient.js'
import { expectError } from '../support/expectError.js'
import {
  canvasWithRoles,
  createCanvas,
  registerUser,
  shareCanvas,
  TEST_PASSWORD,
  uniqueEmail,
  type TestUser,
} from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { generateKey, withKey, type TestKey } from '../support/triggerFixtures.js'
import { solidPng } from '../support/imageFixtures.js'
import { tempDir } from '../support/tempDir.js'

// [Z1] Every HTTP route the app registers × anonymous, stranger, viewer, editor and owner,
// checked against routes/accessPolicy.ts. The routes come from the app itself (its onRoute
// table), so a new route is in this matrix as soon as it is registered, and fails it until it
// has a policy row and a sample request here.

let server: TestServer
const web = tempDir('collabcanvas-web-')
beforeAll(async () => {
  // A stand-in web build, so the web app's routes are registered whether or not dist/ is built.
  fs.writeFileSync(path.join(web.path, 'index.html'), '<!doctype html><title>CollabCanvas</title>')
  fs.writeFileSync(path.join(web.path, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  server = await startTestServer({
    webRoot: web.path,
    // Webhook deliveries go nowhere: the matrix is about who may call what.
    triggers: {
      resolveHost: async () => [{ address: '203.0.114.10', family: 4 }],
      sendWebhook: async () => ({ statusCode: 204, error: null, durationMs: 0 }),
    },
  })
})
afterAll(async () => {
  await server.close()
  web.remove()
})

/** Least to most privileged, so a destructive success (delete) comes last. */
const ACTORS = ['anonymous', 'stranger', 'viewer', 'editor', 'owner'] as const
type Actor = (typeof ACTORS)[number]

type Setup = Awaited<ReturnType<typeof canvasWithRoles>> & {
  /** A viewer of the canvas: the member others try to remove. */
  invitee: TestUser
  /** Not yet a member: the one others try to invite. */
  newcomer: TestUser
  /** Per user id: an API key, and things of their own for the Triggers API routes to act on. */
  own: Map<string, Own>
}

interface Own {
  key: TestKey
  eventId: string
  webhookId: string
  deliveryId: string
  /** An object on the canvas, for this user's PATCH and DELETE. */
  objectId: string
}

interface Sample {
  /** A valid request to the route; the actor's token is added by the test. */
  request(s: Setup, actor: TestUser): ApiRequest | Promise<ApiRequest>
  /** The status of an allowed call. */
  ok: number
}

const canvasUrl = (s: Setup, tail = '') => `/api/canvases/${s.canvas.id}${tail}`
const own = (s: Setup, user: TestUser): Own => {
  const found = s.own.get(user.id)
  if (!found) throw new Error(`no Triggers API setup for ${user.username}`)
  return found
}

const SAMPLES: Record<string, Sample> = {
  'GET /health': { request: () => ({ method: 'GET', url: '/health' }), ok: 200 },
  'GET /admin': { request: () => ({ method: 'GET', url: '/admin' }), ok: 200 },
  'GET /api/admin/stats': { request: () => ({ method: 'GET', url: '/api/admin/stats' }), ok: 200 },
  'GET /metrics': { request: () => ({ method: 'GET', url: '/metrics' }), ok: 200 },
  'GET /': { request: () => ({ method: 'GET', url: '/' }), ok: 200 },
  'GET /*': { request: () => ({ method: 'GET', url: '/favicon.svg' }), ok: 200 },
  'POST /api/register': {
    request: () => {
      // Usernames are unique too: the email's random part makes one.
      const email = uniqueEmail('z1')
      return {
        method: 'POST',
        url: '/api/register',
        json: { email, username: email.split('@')[0], password: TEST_PASSWORD },
      }
    },
    ok: 201,
  },
  'POST /api/login': {
    request: (_s, actor) => ({
      method: 'POST',
      url: '/api/login',
      json: { email: actor.email, password: actor.password },
    }),
    ok: 200,
  },
  'POST /api/logout': { request: () => ({ method: 'POST', url: '/api/logout' }), ok: 204 },
  'GET /api/session': { request: () => ({ method: 'GET', url: '/api/session' }), ok: 200 },
  'GET /api/session/current': { request: () => ({ method: 'GET', url: '/api/session/current' }), ok: 200 },
  'POST /api/canvases': {
    request: () => ({ method: 'POST', url: '/api/canvases', json: { name: 'mine' } }),
    ok: 201,
  },
  'GET /api/canvases': { request: () => ({ method: 'GET', url: '/api/canvases' }), ok: 200 },
  'GET /api/canvases/:id': { request: (s) => ({ method: 'GET', url: canvasUrl(s) }), ok: 200 },
  'PATCH /api/canvases/:id': {
    request: (s) => ({ method: 'PATCH', url: canvasUrl(s), json: { name: 'renamed' } }),
    ok: 200,
  },
  'DELETE /api/canvases/:id': { request: (s) => ({ method: 'DELETE', url: canvasUrl(s) }), ok: 204 },
  'GET /api/canvases/:id/state': {
    request: (s) => ({ method: 'GET', url: canvasUrl(s, '/state') }),
    ok: 200,
  },
  'GET /api/canvases/:id/members': {
    request: (s) => ({ method: 'GET', url: canvasUrl(s, '/members') }),
    ok: 200,
  },
  'GET /api/canvases/:id/thumbnail': {
    request: (s) => ({ method: 'GET', url: canvasUrl(s, '/thumbnail?v=0') }),
    ok: 200,
  },
  // Any member may copy a canvas into one of their own [LIST2].
  'POST /api/canvases/:id/duplicate': {
    request: (s) => ({ method: 'POST', url: canvasUrl(s, '/duplicate'), json: {} }),
    ok: 201,
  },
  'POST /api/canvases/:id/members': {
    request: (s) => ({
      method: 'POST',
      url: canvasUrl(s, '/members'),
      json: { email: s.newcomer.email, role: 'viewer' },
    }),
    ok: 201,
  },
  // Someone else: leaving a canvas yourself is the orSelf case, tested below.
  'DELETE /api/canvases/:id/members/:userId': {
    request: (s) => ({ method: 'DELETE', url: canvasUrl(s, `/members/${s.invitee.id}`) }),
    ok: 204,
  },
  'GET /api/canvases/:id/invites': {
    request: (s) => ({ method: 'GET', url: canvasUrl(s, '/invites') }),
    ok: 200,
  },
  'POST /api/canvases/:id/share-links': {
    request: (s) => ({ method: 'POST', url: canvasUrl(s, '/share-links'), json: { role: 'viewer' } }),
    ok: 201,
  },
  'DELETE /api/canvases/:id/invites/:inviteId': {
    request: async (s) => ({
      method: 'DELETE',
      url: canvasUrl(s, `/invites/${await canvasInvite(s)}`),
    }),
    ok: 204,
  },
  // The caller's own invitations: each actor acts on one addressed to them; anyone else's is
  // 404 (tests/server/invites.test.ts).
  'GET /api/invites': { request: () => ({ method: 'GET', url: '/api/invites' }), ok: 200 },
  'POST /api/invites/:inviteId/accept': {
    request: async (s, actor) => ({
      method: 'POST',
      url: `/api/invites/${await inviteFor(s, actor)}/accept`,
    }),
    ok: 200,
  },
  'DELETE /api/invites/:inviteId': {
    request: async (s, actor) => ({ method: 'DELETE', url: `/api/invites/${await inviteFor(s, actor)}` }),
    ok: 204,
  },
  // Redeeming a link is how a stranger becomes a member: the token is the permission.
  'POST /api/share-links/:token/accept': {
    request: async (s) => ({ method: 'POST', url: `/api/share-links/${await shareLinkOf(s)}/accept` }),
    ok: 200,
  },
  'POST /api/keys/generate': {
    request: () => ({ method: 'POST', url: '/api/keys/generate', json: { name: 'z1' } }),
    ok: 201,
  },
  'GET /api/keys': { request: () => ({ method: 'GET', url: '/api/keys' }), ok: 200 },
  'DELETE /api/keys/:id': {
    request: (s, actor) => ({ method: 'DELETE', url: `/api/keys/${own(s, actor).key.keyId}` }),
    ok: 204,
  },
  'POST /api/events': {
    request: () => ({ method: 'POST', url: '/api/events', json: { type: 'z1.event', payload: { a: 1 } } }),
    ok: 202,
  },
  'GET /api/inbox': { request: () => ({ method: 'GET', url: '/api/inbox' }), ok: 200 },
  'POST /api/ack/:id': {
    request: (s, actor) => ({ method: 'POST', url: `/api/ack/${own(s, actor).eventId}` }),
    ok: 200,
  },
  'GET /api/events/:id/deliveries': {
    request: (s, actor) => ({ method: 'GET', url: `/api/events/${own(s, actor).eventId}/deliveries` }),
    ok: 200,
  },
  'GET /api/queue/stats': { request: () => ({ method: 'GET', url: '/api/queue/stats' }), ok: 200 },
  'POST /api/webhook/config': {
    request: () => ({
      method: 'POST',
      url: '/api/webhook/config',
      json: { url: 'https://hooks.example.test/z1' },
    }),
    ok: 200,
  },
  'POST /api/webhooks': {
    request: () => ({
      method: 'POST',
      url: '/api/webhooks',
      json: { url: 'https://hooks.example.test/z1b' },
    }),
    ok: 201,
  },
  'GET /api/webhooks': { request: () => ({ method: 'GET', url: '/api/webhooks' }), ok: 200 },
  'DELETE /api/webhooks/:id': {
    request: (s, actor) => ({ method: 'DELETE', url: `/api/webhooks/${own(s, actor).webhookId}` }),
    ok: 204,
  },
  'POST /api/webhooks/:id/rotate-secret': {
    request: (s, actor) => ({
      method: 'POST',
      url: `/api/webhooks/${own(s, actor).webhookId}/rotate-secret`,
    }),
    ok: 200,
  },
  'POST /api/webhooks/:id/enable': {
    request: (s, actor) => ({ method: 'POST', url: `/api/webhooks/${own(s, actor).webhookId}/enable` }),
    ok: 200,
  },
  'POST /api/deliveries/:id/replay': {
    request: (s, actor) => ({ method: 'POST', url: `/api/deliveries/${own(s, actor).deliveryId}/replay` }),
    ok: 202,
  },
  'POST /api/canvases/:id/objects': {
    request: (s) => ({
      method: 'POST',
      url: canvasUrl(s, '/objects'),
      json: { object: { type: 'rect', x: 1, y: 2, width: 3, height: 4 } },
    }),
    ok: 201,
  },
  'PATCH /api/canvases/:id/objects/:objectId': {
    request: (s, actor) => ({
      method: 'PATCH',
      url: canvasUrl(s, `/objects/${own(s, actor).objectId}`),
      json: { changes: { x: 10 } },
    }),
    ok: 200,
  },
  'DELETE /api/canvases/:id/objects/:objectId': {
    request: (s, actor) => ({ method: 'DELETE', url: canvasUrl(s, `/objects/${own(s, actor).objectId}`) }),
    ok: 200,
  },
  'POST /api/canvases/:id/ai': {
    request: (s) => ({ method: 'POST', url: canvasUrl(s, '/ai'), json: { command: 'add a badge' } }),
    ok: 200,
  },
  'GET /api/ai/quota': { request: () => ({ method: 'GET', url: '/api/ai/quota' }), ok: 200 },
  'POST /api/canvases/:id/images': {
    request: async (s) => ({
      method: 'POST',
      url: canvasUrl(s, '/images'),
      headers: { 'content-type': 'image/png' },
      payload: await solidPng(4, 3, [10, 20, 30]),
    }),
    ok: 201,
  },
  'GET /api/canvases/:id/images/:imageId': {
    request: async (s) => ({ method: 'GET', url: await uploadedImageUrl(s) }),
    ok: 200,
  },
  // OpenID Connect: this server has none configured, so the /auth/ routes answer 404 (after the
  // session check for /auth/link); test/server/oidc*.test.ts run them against a real provider.
  'GET /api/auth/providers': { request: () => ({ method: 'GET', url: '/api/auth/providers' }), ok: 200 },
  'GET /auth/login': { request: () => ({ method: 'GET', url: '/auth/login' }), ok: 404 },
  'GET /auth/callback': { request: () => ({ method: 'GET', url: '/auth/callback?code=c&state=s' }), ok: 404 },
  'GET /auth/logout': { request: () => ({ method: 'GET', url: '/auth/logout' }), ok: 404 },
  'GET /auth/link': { request: () => ({ method: 'GET', url: '/auth/link' }), ok: 404 },
  'GET /api/identities': { request: () => ({ method: 'GET', url: '/api/identities' }), ok: 200 },
  'DELETE /api/identities/:id': {
    request: async (_s, actor) => {
      const identity = await server.deps.identities.link(actor.id, {
        issuer: 'https://idp.example.test/',
        subject: randomUUID(),
        email: null,
      })
      return { method: 'DELETE', url: `/api/identities/${identity.id}` }
    },
    ok: 204,
  },
}

/** An image the owner uploaded to the matrix canvas: its URL. */
async function uploadedImageUrl(s: Setup): Promise<string> {
  const res = await server.http.send<{ image: { url: string } }>({
    method: 'POST',
    url: canvasUrl(s, '/images'),
    token: s.owner.token,
    payload: await solidPng(5, 5, [200, 0, 0]),
  })
  expect(res.status, res.text).toBe(201)
  return res.body.image.url
}

/** Routes whose success lets a stranger see the canvas by design (a share link's token). */
const GRANTS_ACCESS = new Set(['POST /api/share-links/:token/accept'])

/** An email invitation to `user`, from someone else's canvas (the newcomer's). */
async function inviteFor(s: Setup, user: TestUser): Promise<string> {
  const host = await createCanvas(server.http, s.newcomer, 'Invitation canvas')
  return invite(s.newcomer, host.id, user.email)
}

/** An open invitation on the matrix canvas, to an email with no account. */
const canvasInvite = (s: Setup) => invite(s.owner, s.canvas.id, uniqueEmail('nobody'))

async function invite(from: TestUser, canvasId: string, email: string): Promise<string> {
  const res = await server.http.send<{ invite: { id: string } }>({
    method: 'POST',
    url: `/api/canvases/${canvasId}/members`,
    token: from.token,
    json: { email, role: 'viewer' },
  })
  expect(res.status, res.text).toBe(201)
  return res.body.invite.id
}

async function shareLinkOf(s: Setup): Promise<string> {
  const res = await server.http.send<{ token: string }>({
    method: 'POST',
    url: canvasUrl(s, '/share-links'),
    token: s.owner.token,
    json: { role: 'viewer' },
  })
  expect(res.status, res.text).toBe(201)
  return res.body.token
}

/** Each user's key (enterprise: the matrix is not about rate limits) and things of their own. */
async function triggerSetup(s: Omit<Setup, 'own'>): Promise<Map<string, Own>> {
  const result = new Map<string, Own>()
  const ownerKey = await generateKey(server.http, s.owner)
  for (const user of [s.owner, s.editor, s.viewer, s.stranger]) {
    const key = user === s.owner ? ownerKey : await generateKey(server.http, user)
    await server.deps.triggers.store.setKeyTier(key.keyId, 'enterprise')
    const send = <T>(request: Parameters<typeof withKey>[1], k: TestKey = key) =>
      server.http.send<T>(withKey(k, request))
    const hook = await send<{ webhook: { id: string } }>({
      method: 'POST',
      url: '/api/webhooks',
      json: { url: 'https://hooks.example.test/own' },
    })
    expect(hook.status, hook.text).toBe(201)
    const event = await send<{ id: string }>({
      method: 'POST',
      url: '/api/events',
      json: { type: 'own', payload: {} },
    })
    expect(event.status, event.text).toBe(202)
    const deliveries = await send<{ deliveries: { id: string }[] }>({
      method: 'GET',
      url: `/api/events/${event.body.id}/deliveries`,
    })
    const deliveryId = deliveries.body.deliveries[0]?.id
    if (deliveryId === undefined) throw new Error(`no delivery: ${deliveries.text}`)
    const object = await send<{ id: string }>(
      { method: 'POST', url: `/api/canvases/${s.canvas.id}/objects`, json: { object: { type: 'rect' } } },
      ownerKey,
    )
    expect(object.status, object.text).toBe(201)
    result.set(user.id, {
      key,
      eventId: event.body.id,
      webhookId: hook.body.webhook.id,
      deliveryId,
      objectId: object.body.id,
    })
  }
  return result
}

async function matrixSetup(): Promise<Setup> {
  const base = {
    ...(await canvasWithRoles(server.http, 'Matrix canvas')),
    invitee: await registerUser(server.http),
    newcomer: await registerUser(server.http),
  }
  return { ...base, own: await triggerSetup(base) }
}

/** How an actor authenticates to a route: its API key for the Triggers API's key routes. */
function authenticated(access: Access, request: ApiRequest, s: Setup, user: TestUser): ApiRequest {
  if (access.kind === 'api-key' || access.kind === 'api-key-canvas') return withKey(own(s, user).key, request)
  return { ...request, token: user.token }
}

/** The documented outcome of one cell: a status, and the error code when it is an error. */
function expected(access: Access, actor: Actor, ok: number): number {
  if (access.kind === 'public') return ok
  // This server has no ADMIN_EMAILS: nobody here is an operator (test/server/ops/adminStats.test.ts has one).
  if (access.kind === 'operator') return 404
  if (actor === 'anonymous') return 401
  if (access.kind === 'signed-in' || access.kind === 'api-key') return ok
  if (actor === 'stranger') return 404
  return can(actor, access.action) ? ok : 403
}

const ERROR_CODE_OF = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' } as const

function registeredKeys(): string[] {
  return [...new Set(server.app.routeTable.map((r) => routeKey(r.method, r.url)))].sort()
}

describe('[Z1] the route registry', () => {
  it('[Z1] when the app is built, then every registered route has a policy row and a sample request, and every API row is a registered route', () => {
    const keys = registeredKeys()
    const problems = [
      ...keys
        .filter((k) => !(k in ROUTE_ACCESS))
        .map((k) => `new route ${k} has no policy in accessPolicy.ts`),
      ...keys.filter((k) => !(k in SAMPLES)).map((k) => `route ${k} has no sample request in this test`),
      ...Object.keys(ROUTE_ACCESS)
        .filter((k) => !keys.includes(k))
        .map((k) => `policy row ${k} names no registered route`),
    ]
    expect(problems).toEqual([])
    // The matrix below is not vacuous: the canvas routes are all there.
    expect(keys.filter((k) => k.includes('/api/canvases/:id')).length).toBeGreaterThanOrEqual(7)
  })
})

describe('[Z1] BOLA matrix', () => {
  it.each(Object.keys(ROUTE_ACCESS))(
    '[Z1] when anonymous, a stranger, a viewer, an editor and the owner each call %s, then each gets the status its policy row documents',
    async (key) => {
      const access = ROUTE_ACCESS[key] as Access
      const sample = SAMPLES[key]
      if (!sample) throw new Error(`route ${key} has no sample request in this test`)
      const setup = await matrixSetup()
      await shareCanvas(server.http, setup.owner, setup.canvas.id, setup.invitee, 'viewer')
      const seen: Partial<Record<Actor, number>> = {}
      const want: Partial<Record<Actor, number>> = {}
      for (const actor of ACTORS) {
        const user = actor === 'anonymous' ? setup.stranger : setup[actor]
        const request = await sample.request(setup, user)
        const res = await server.http.send(
          actor === 'anonymous' ? request : authenticated(access, request, setup, user),
        )
        seen[actor] = res.status
        want[actor] = expected(access, actor, sample.ok)
        const code = ERROR_CODE_OF[res.status as keyof typeof ERROR_CODE_OF]
        if (code) expectError(res, res.status, code)
        // A stranger learns nothing of the canvas: not its name, not its id.
        if ((actor === 'stranger' && !GRANTS_ACCESS.has(key)) || actor === 'anonymous') {
          expect(res.text, `${actor} ${key}`).not.toContain('Matrix canvas')
          expect(res.text, `${actor} ${key}`).not.toContain(setup.canvas.id)
        }
      }
      expect(seen).toEqual(want)
    },
  )

  it('[Z1] when a bad token is sent to a route that needs a session, then 401, as with none', async () => {
    const setup = await matrixSetup()
    // A key that worked until its owner revoked it is refused like one that never existed.
    const revoked = await generateKey(server.http, setup.owner)
    const revoking = await server.http.send({
      method: 'DELETE',
      url: `/api/keys/${revoked.keyId}`,
      token: setup.owner.token,
    })
    expect(revoking.status, revoking.text).toBe(204)
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      // Operator routes hide themselves: 404 for a bad token as for any non-operator.
      if (access.kind === 'public' || access.kind === 'operator') continue
      const request = await (SAMPLES[key] as Sample).request(setup, setup.owner)
      expectError(await server.http.send({ ...request, token: 'C'.repeat(43) }), 401, 'unauthorized')
      if (access.kind === 'api-key' || access.kind === 'api-key-canvas') {
        const badKey = `cck_${'a'.repeat(8)}_${'B'.repeat(43)}`
        expectError(await server.http.send(withKey(badKey, request)), 401, 'unauthorized')
        expectError(await server.http.send(withKey(revoked, request)), 401, 'unauthorized')
      }
    }
  })
})

describe('[Z1] ids of one canvas on another', () => {
  it('[Z1] when the owner of canvases X and Y removes a member of X through Y, then 404 and the member keeps X', async () => {
    const owner = await registerUser(server.http)
    const member = await registerUser(server.http)
    const x = await createCanvas(server.http, owner, 'X')
    const y = await createCanvas(server.http, owner, 'Y')
    await shareCanvas(server.http, owner, x.id, member, 'editor')

    const res = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${y.id}/members/${member.id}`,
      token: owner.token,
    })
    expectError(res, 404, 'not_found')
    const still = await server.http.send({ method: 'GET', url: `/api/canvases/${x.id}`, token: member.token })
    expect(still.status, still.text).toBe(200)
  })

  it('[Z1] when a viewer leaves a canvas, then 204 (orSelf); leaving a canvas they are not on is 404', async () => {
    const owner = await registerUser(server.http)
    const viewer = await registerUser(server.http)
    const x = await createCanvas(server.http, owner, 'X')
    const y = await createCanvas(server.http, owner, 'Y')
    await shareCanvas(server.http, owner, x.id, viewer, 'viewer')

    const leaveY = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${y.id}/members/${viewer.id}`,
      token: viewer.token,
    })
    expectError(leaveY, 404, 'not_found')
    const leaveX = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${x.id}/members/${viewer.id}`,
      token: viewer.token,
    })
    expect(leaveX.status, leaveX.text).toBe(204)
    const gone = await server.http.send({ method: 'GET', url: `/api/canvases/${x.id}`, token: viewer.token })
    expectError(gone, 404, 'not_found')
  })
})

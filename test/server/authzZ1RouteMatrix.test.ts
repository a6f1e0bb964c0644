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
  server = await startTestServer({ webRoot: web.path })
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
}

interface Sample {
  /** A valid request to the route; the actor's token is added by the test. */
  request(s: Setup, actor: TestUser): ApiRequest | Promise<ApiRequest>
  /** The status of an allowed call. */
  ok: number
}

const canvasUrl = (s: Setup, tail = '') => `/api/canvases/${s.canvas.id}${tail}`

const SAMPLES: Record<string, Sample> = {
  'GET /health': { request: () => ({ method: 'GET', url: '/health' }), ok: 200 },
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

/** The documented outcome of one cell: a status, and the error code when it is an error. */
function expected(access: Access, actor: Actor, ok: number): number {
  if (access.kind === 'public') return ok
  if (actor === 'anonymous') return 401
  if (access.kind === 'signed-in') return ok
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
      const setup: Setup = {
        ...(await canvasWithRoles(server.http, 'Matrix canvas')),
        invitee: await registerUser(server.http),
        newcomer: await registerUser(server.http),
      }
      await shareCanvas(server.http, setup.owner, setup.canvas.id, setup.invitee, 'viewer')
      const seen: Partial<Record<Actor, number>> = {}
      const want: Partial<Record<Actor, number>> = {}
      for (const actor of ACTORS) {
        const user = actor === 'anonymous' ? setup.stranger : setup[actor]
        const request = await sample.request(setup, user)
        const res = await server.http.send(
          actor === 'anonymous' ? request : { ...request, token: user.token },
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
    const setup: Setup = {
      ...(await canvasWithRoles(server.http, 'Matrix canvas')),
      invitee: await registerUser(server.http),
      newcomer: await registerUser(server.http),
    }
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      if (access.kind === 'public') continue
      const request = await (SAMPLES[key] as Sample).request(setup, setup.owner)
      expectError(await server.http.send({ ...request, token: 'C'.repeat(43) }), 401, 'unauthorized')
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

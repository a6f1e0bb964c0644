import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  CanvasBody,
  CanvasListBody,
  CanvasStateBody,
  CanvasListItem,
  CanvasSummary,
  ErrorBody,
  InvitationForMe,
  InvitationListBody,
  Invite,
  InviteBody,
  InviteListBody,
  Member,
  MemberBody,
  MemberListBody,
  ShareLinkBody,
  User,
  UserBody,
} from '../../src/protocol/httpTypes.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// httpTypes.ts is what the web app believes the server sends: each body's keys, listed here so
// that the compiler checks the list against the type (a key added to one and not the other does
// not compile) and the test checks it against what the real server answers.

/** Every key of T, no more: `keysOf<User>()('id', 'email', 'username')`. */
function keysOf<T>() {
  return <const K extends readonly (keyof T)[]>(
    ...keys: K & (Exclude<keyof T, K[number]> extends never ? unknown : ['missing a key of the type'])
  ): string[] => [...keys].map(String).sort()
}

const USER = keysOf<User>()('id', 'email', 'username')
const CANVAS = keysOf<CanvasSummary>()('id', 'name', 'ownerId', 'role', 'createdAt', 'updatedAt')
const LISTED_CANVAS = keysOf<CanvasListItem>()(
  'id',
  'name',
  'ownerId',
  'role',
  'createdAt',
  'updatedAt',
  'seq',
  'editedAt',
)
const MEMBER = keysOf<Member>()('userId', 'email', 'username', 'role')
const INVITE = keysOf<Invite>()(
  'id',
  'canvasId',
  'kind',
  'email',
  'role',
  'createdBy',
  'createdAt',
  'expiresAt',
)
/** A share link has no email. */
const LINK = INVITE.filter((k) => k !== 'email')
const INVITATION = keysOf<InvitationForMe>()('id', 'role', 'createdAt', 'expiresAt', 'canvas', 'invitedBy')
const STATE = keysOf<CanvasStateBody>()('canvasId', 'seq', 'objects')
const keys = (o: object | undefined) => Object.keys(o ?? {}).sort()

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.close()
})

describe('the HTTP response types (src/protocol/httpTypes.ts)', () => {
  it('[PROTO31] when each route answers, then its body has exactly the keys its type names', async () => {
    const api = server.http
    const [alice, bob] = await Promise.all([
      registerUser(api, { username: 'alice' }),
      registerUser(api, { username: 'bob' }),
    ])
    const session = await api.send<UserBody>({ method: 'GET', url: '/api/session', token: alice.token })
    expect(keys(session.body)).toEqual(['user'])
    expect(keys(session.body.user)).toEqual(USER)

    const created = await createCanvas(api, alice, 'Typed')
    const one = await api.send<CanvasBody>({
      method: 'GET',
      url: `/api/canvases/${created.id}`,
      token: alice.token,
    })
    expect(keys(one.body)).toEqual(['canvas'])
    expect(keys(one.body.canvas)).toEqual(CANVAS)
    const renamed = await api.send<CanvasBody>({
      method: 'PATCH',
      url: `/api/canvases/${created.id}`,
      token: alice.token,
      json: { name: 'Typed again' },
    })
    expect(keys(renamed.body.canvas)).toEqual(CANVAS)
    const list = await api.send<CanvasListBody>({ method: 'GET', url: '/api/canvases', token: alice.token })
    expect(keys(list.body)).toEqual(['canvases'])
    expect(list.body.canvases.map(keys)).toEqual([LISTED_CANVAS])

    const invited = await api.send<InviteBody>({
      method: 'POST',
      url: `/api/canvases/${created.id}/members`,
      token: alice.token,
      json: { email: bob.email, role: 'viewer' },
    })
    expect(keys(invited.body)).toEqual(['invite'])
    expect(keys(invited.body.invite)).toEqual(INVITE)
    const mine = await api.send<InvitationListBody>({ method: 'GET', url: '/api/invites', token: bob.token })
    expect(keys(mine.body)).toEqual(['invites'])
    expect(mine.body.invites.map(keys)).toEqual([INVITATION])
    const accepted = await api.send<CanvasBody>({
      method: 'POST',
      url: `/api/invites/${invited.body.invite.id}/accept`,
      token: bob.token,
    })
    expect(keys(accepted.body.canvas)).toEqual(CANVAS)
    const changed = await api.send<MemberBody>({
      method: 'POST',
      url: `/api/canvases/${created.id}/members`,
      token: alice.token,
      json: { email: bob.email, role: 'editor' },
    })
    expect(keys(changed.body)).toEqual(['member'])
    expect(keys(changed.body.member)).toEqual(MEMBER)
    const link = await api.send<ShareLinkBody>({
      method: 'POST',
      url: `/api/canvases/${created.id}/share-links`,
      token: alice.token,
      json: { role: 'viewer', expiresInDays: 2 },
    })
    expect(keys(link.body)).toEqual(['invite', 'path', 'token'])
    expect(keys(link.body.invite)).toEqual(LINK)
    const open = await api.send<InviteListBody>({
      method: 'GET',
      url: `/api/canvases/${created.id}/invites`,
      token: alice.token,
    })
    expect(keys(open.body)).toEqual(['invites'])
    expect(open.body.invites.map(keys)).toEqual([LINK])
    const members = await api.send<MemberListBody>({
      method: 'GET',
      url: `/api/canvases/${created.id}/members`,
      token: alice.token,
    })
    expect(keys(members.body)).toEqual(['members'])
    expect(members.body.members.map(keys)).toEqual([MEMBER, MEMBER])

    const state = await api.send<CanvasStateBody>({
      method: 'GET',
      url: `/api/canvases/${created.id}/state`,
      token: bob.token,
    })
    expect(keys(state.body)).toEqual(STATE)

    const refused = await api.send<ErrorBody>({ method: 'GET', url: '/api/canvases/nope', token: bob.token })
    expect(refused.status).toBe(404)
    expect(keys(refused.body)).toEqual(['error'])
    expect(refused.body.error.code).toBe('not_found')
    expect(typeof refused.body.error.message).toBe('string')
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  CanvasBody,
  InvitationListBody,
  InviteListBody,
  ShareLinkBody,
} from '../../src/protocol/httpTypes.js'
import type { ApiRequest } from '../support/apiClient.js'
import { expectError } from '../support/expectError.js'
import {
  canvasWithRoles,
  createCanvas,
  registerUser,
  TEST_PASSWORD,
  uniqueEmail,
  type TestUser,
} from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// [SHARE1] Sharing tells nobody who has an account and pushes nothing into anyone's list: an email
// invitation waits for its invitee (or for the account that registers with that email), a share
// link for whoever opens it, until the owner revokes it or it expires.

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

const DAY_MS = 86_400_000

const send = <T = unknown>(method: ApiRequest['method'], url: string, user?: TestUser, json?: unknown) =>
  server.http.send<T>({
    method,
    url,
    ...(user ? { token: user.token } : {}),
    ...(json === undefined ? {} : { json }),
  })

const canvasesOf = async (user: TestUser) =>
  (await send<{ canvases: { id: string; role: string }[] }>('GET', '/api/canvases', user)).body.canvases

async function inviteEmail(owner: TestUser, canvasId: string, email: string, role = 'editor') {
  const res = await send<{ invite: { id: string } }>('POST', `/api/canvases/${canvasId}/members`, owner, {
    email,
    role,
  })
  expect(res.status, res.text).toBe(201)
  return res.body.invite.id
}

async function shareLink(owner: TestUser, canvasId: string, json: object = { role: 'viewer' }) {
  const res = await send<ShareLinkBody>('POST', `/api/canvases/${canvasId}/share-links`, owner, json)
  expect(res.status, res.text).toBe(201)
  return res.body
}

describe('[SHARE1] email invitations', () => {
  it('[SHARE1] when an invited user lists, accepts and opens the canvas, then it is theirs with the role; the owner sees the invitation until then', async () => {
    const owner = await registerUser(server.http)
    const friend = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, 'Roadmap')
    const id = await inviteEmail(owner, canvas.id, friend.email, 'editor')
    const listed = await send<InviteListBody>('GET', `/api/canvases/${canvas.id}/invites`, owner)
    expect(listed.body.invites.map((i) => [i.kind, i.email, i.role])).toEqual([
      ['email', friend.email, 'editor'],
    ])
    const mine = await send<InvitationListBody>('GET', '/api/invites', friend)
    expect(mine.body.invites).toMatchObject([
      {
        id,
        role: 'editor',
        canvas: { id: canvas.id, name: 'Roadmap' },
        invitedBy: { username: owner.username },
      },
    ])
    expect(await canvasesOf(friend)).toEqual([])
    const accepted = await send<CanvasBody>('POST', `/api/invites/${id}/accept`, friend)
    expect(accepted.status, accepted.text).toBe(200)
    expect(accepted.body.canvas).toMatchObject({ id: canvas.id, name: 'Roadmap', role: 'editor' })
    expect((await canvasesOf(friend)).map((c) => [c.id, c.role])).toEqual([[canvas.id, 'editor']])
    expect(
      (await send<InviteListBody>('GET', `/api/canvases/${canvas.id}/invites`, owner)).body.invites,
    ).toEqual([])
    expect((await send<InvitationListBody>('GET', '/api/invites', friend)).body.invites).toEqual([])
  })

  it('[SHARE1] when someone else accepts or declines an invitation, then 404 and it stays for its invitee', async () => {
    const owner = await registerUser(server.http)
    const friend = await registerUser(server.http)
    const thief = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const id = await inviteEmail(owner, canvas.id, friend.email)
    expectError(await send('POST', `/api/invites/${id}/accept`, thief), 404, 'not_found')
    expectError(await send('DELETE', `/api/invites/${id}`, thief), 404, 'not_found')
    expectError(await send('POST', `/api/invites/${id}/accept`, owner), 404, 'not_found')
    expect(await canvasesOf(thief)).toEqual([])
    expect((await send<InvitationListBody>('GET', '/api/invites', friend)).body.invites).toHaveLength(1)
  })

  it('[SHARE1] when the invitee declines, then the invitation is gone for both and accepting is 404', async () => {
    const owner = await registerUser(server.http)
    const friend = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const id = await inviteEmail(owner, canvas.id, friend.email)
    expect((await send('DELETE', `/api/invites/${id}`, friend)).status).toBe(204)
    expectError(await send('POST', `/api/invites/${id}/accept`, friend), 404, 'not_found')
    expect(
      (await send<InviteListBody>('GET', `/api/canvases/${canvas.id}/invites`, owner)).body.invites,
    ).toEqual([])
  })

  it('[SHARE1] when an email without an account is invited and then registers, then the canvas is in their list at once', async () => {
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, 'Welcome board')
    const email = uniqueEmail('later')
    await inviteEmail(owner, canvas.id, email.toUpperCase(), 'viewer')
    const res = await send<{ user: { id: string }; sessionId: string }>('POST', '/api/register', undefined, {
      email,
      username: `later ${Date.now()}`,
      password: TEST_PASSWORD,
    })
    expect(res.status, res.text).toBe(201)
    const newcomer = { token: res.body.sessionId } as TestUser
    expect((await canvasesOf(newcomer)).map((c) => [c.id, c.role])).toEqual([[canvas.id, 'viewer']])
    expect(
      (await send<InviteListBody>('GET', `/api/canvases/${canvas.id}/invites`, owner)).body.invites,
    ).toEqual([])
  })

  it('[SHARE1] when the owner revokes an invitation, then it can no longer be accepted; revoking again is 404', async () => {
    const owner = await registerUser(server.http)
    const friend = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const id = await inviteEmail(owner, canvas.id, friend.email)
    expect((await send('DELETE', `/api/canvases/${canvas.id}/invites/${id}`, owner)).status).toBe(204)
    expectError(await send('DELETE', `/api/canvases/${canvas.id}/invites/${id}`, owner), 404, 'not_found')
    expectError(await send('POST', `/api/invites/${id}/accept`, friend), 404, 'not_found')
  })

  it('[SHARE1] when an invitation is 30 days old, then it has lapsed', async () => {
    const owner = await registerUser(server.http)
    const friend = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const id = await inviteEmail(owner, canvas.id, friend.email)
    server.clock.advance(30 * DAY_MS)
    // Sessions last a day: sign in again, as the invitee would.
    const login = await send<{ sessionId: string }>('POST', '/api/login', undefined, {
      email: friend.email,
      password: friend.password,
    })
    const again = { ...friend, token: login.body.sessionId }
    expectError(await send('POST', `/api/invites/${id}/accept`, again), 404, 'not_found')
    expect((await send<InvitationListBody>('GET', '/api/invites', again)).body.invites).toEqual([])
  })

  it('[SHARE1] when a viewer who is invited as editor accepts, then the open socket and the list both say editor', async () => {
    const { owner, viewer, canvas } = await canvasWithRoles(server.http)
    const res = await send<{ member: { role: string } }>(
      'POST',
      `/api/canvases/${canvas.id}/members`,
      owner,
      {
        email: viewer.email,
        role: 'editor',
      },
    )
    expect(res.status).toBe(200)
    expect(res.body.member.role).toBe('editor')
    expect((await canvasesOf(viewer)).find((c) => c.id === canvas.id)?.role).toBe('editor')
  })
})

describe('[SHARE1] share links', () => {
  it('[SHARE1] when a signed-in stranger opens a link, then they join with its role; after revocation the next one is refused, members stay', async () => {
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, 'Open house')
    const link = await shareLink(owner, canvas.id, { role: 'editor' })
    expect(link.path).toBe(`/join/${link.token}`)
    expect(link.invite).toMatchObject({ kind: 'link', role: 'editor', expiresAt: null })
    expect(
      JSON.stringify((await send('GET', `/api/canvases/${canvas.id}/invites`, owner)).body),
    ).not.toContain(link.token)
    const guest = await registerUser(server.http)
    const joined = await send<CanvasBody>('POST', `/api/share-links/${link.token}/accept`, guest)
    expect(joined.status, joined.text).toBe(200)
    expect(joined.body.canvas).toMatchObject({ id: canvas.id, role: 'editor' })
    expect((await send('DELETE', `/api/canvases/${canvas.id}/invites/${link.invite.id}`, owner)).status).toBe(
      204,
    )
    const late = await registerUser(server.http)
    expectError(await send('POST', `/api/share-links/${link.token}/accept`, late), 404, 'not_found')
    expect(await canvasesOf(late)).toEqual([])
    expect((await canvasesOf(guest)).map((c) => c.id)).toEqual([canvas.id])
  })

  it('[SHARE1] when a link made to expire in a day is opened after it, then it is refused', async () => {
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const link = await shareLink(owner, canvas.id, { role: 'viewer', expiresInDays: 1 })
    expect(link.invite.expiresAt).not.toBeNull()
    server.clock.advance(DAY_MS)
    const guest = await registerUser(server.http)
    expectError(await send('POST', `/api/share-links/${link.token}/accept`, guest), 404, 'not_found')
  })

  it('[SHARE1] when an editor opens a viewer link, then they stay an editor', async () => {
    const { owner, editor, canvas } = await canvasWithRoles(server.http)
    const link = await shareLink(owner, canvas.id, { role: 'viewer' })
    const res = await send<CanvasBody>('POST', `/api/share-links/${link.token}/accept`, editor)
    expect(res.body.canvas.role).toBe('editor')
  })

  it.each([
    ['an unknown token', 'A'.repeat(43)],
    ['a token of the wrong shape', 'not-a-token'],
    ['a token with SQL in it', "x'%20OR%20'1'='1"],
  ])('[SHARE1] when %s is redeemed, then 404 and nothing changes', async (_case, token) => {
    const guest = await registerUser(server.http)
    expectError(await send('POST', `/api/share-links/${token}/accept`, guest), 404, 'not_found')
    expect(await canvasesOf(guest)).toEqual([])
  })

  it('[SHARE1] when a token is longer than any real one, then 400 naming params.token', async () => {
    const guest = await registerUser(server.http)
    expectError(
      await send('POST', `/api/share-links/${'A'.repeat(65)}/accept`, guest),
      400,
      'invalid_input',
      'params.token',
    )
  })
})

describe('[SHARE1] hostile input', () => {
  it.each([
    ['role is owner', { role: 'owner' }, 'body.role'],
    ['role is missing', {}, 'body.role'],
    ['expiry is zero', { role: 'viewer', expiresInDays: 0 }, 'body.expiresInDays'],
    ['expiry is over a year', { role: 'viewer', expiresInDays: 366 }, 'body.expiresInDays'],
    ['expiry is fractional', { role: 'viewer', expiresInDays: 1.5 }, 'body.expiresInDays'],
    ['expiry is a string', { role: 'viewer', expiresInDays: '7' }, 'body.expiresInDays'],
    ['an unknown field is sent', { role: 'viewer', token: 'mine' }, 'body.token'],
  ])(
    '[SHARE1] when a share link is made and %s, then 400 naming %s and no link exists',
    async (_case, json, field) => {
      const owner = await registerUser(server.http)
      const canvas = await createCanvas(server.http, owner)
      expectError(
        await send('POST', `/api/canvases/${canvas.id}/share-links`, owner, json),
        400,
        'invalid_input',
        field,
      )
      expect(
        (await send<InviteListBody>('GET', `/api/canvases/${canvas.id}/invites`, owner)).body.invites,
      ).toEqual([])
    },
  )

  it('[SHARE1] when invitation ids are malformed, then 400 naming params.inviteId', async () => {
    const user = await registerUser(server.http)
    for (const [method, url] of [
      ['POST', '/api/invites/..%2F..%2Fetc/accept'],
      ['DELETE', `/api/invites/${'x'.repeat(65)}`],
    ] as const)
      expectError(await send(method, url, user), 400, 'invalid_input', 'params.inviteId')
  })

  it('[I1] when an owner sends more than 100 open invitations for one canvas, then limit_exceeded and the first 100 stay', async () => {
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    for (let i = 0; i < 100; i++) await inviteEmail(owner, canvas.id, `flood${i}@example.test`)
    expectError(
      await send('POST', `/api/canvases/${canvas.id}/members`, owner, {
        email: 'one-more@example.test',
        role: 'viewer',
      }),
      403,
      'limit_exceeded',
    )
    expect(
      (await send<InviteListBody>('GET', `/api/canvases/${canvas.id}/invites`, owner)).body.invites,
    ).toHaveLength(100)
  })
})

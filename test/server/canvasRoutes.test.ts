import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CanvasForUser, Member } from '../../src/store/canvasStore.js'
import { TEST_EPOCH_MS } from '../support/clock.js'
import { expectError } from '../support/expectError.js'
import {
  canvasWithRoles,
  createCanvas,
  registerUser,
  shareCanvas,
  type TestUser,
} from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { anyString } from '../support/matchers.js'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

type CanvasBody = { canvas: CanvasForUser }

const get = (url: string, user?: TestUser) =>
  server.http.send({ method: 'GET', url, ...(user ? { token: user.token } : {}) })

const HOSTILE_NAMES = [
  "'; DROP TABLE users; --",
  "x'); DELETE FROM canvases WHERE ('1'='1",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(document.cookie)>',
  'Zoë Ωmega 日本語 مرحبا',
  '🎨🖌️ 👨‍👩‍👧 sketches',
  '\\"quoted\\" and \\\\backslashes',
]

describe('POST /api/canvases', () => {
  it('when a signed-in user sends a name then 201 with the canvas, role owner', async () => {
    const owner = await registerUser(server.http)
    const res = await server.http.send<CanvasBody>({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      json: { name: '  Roadmap  ' },
    })
    expect(res.status, res.text).toBe(201)
    const at = new Date(TEST_EPOCH_MS).toISOString()
    expect(res.body).toStrictEqual({
      canvas: {
        id: anyString(),
        name: 'Roadmap',
        ownerId: owner.id,
        role: 'owner',
        createdAt: at,
        updatedAt: at,
      },
    })
  })

  it.each(HOSTILE_NAMES)('when the name is %j then it is stored and returned verbatim', async (name) => {
    const owner = await registerUser(server.http)
    const created = await createCanvas(server.http, owner, name)
    expect(created.name).toBe(name)
    const read = await get(`/api/canvases/${created.id}`, owner)
    expect((read.body as CanvasBody).canvas.name).toBe(name)
    const list = await get('/api/canvases', owner)
    expect((list.body as { canvases: CanvasForUser[] }).canvases.map((c) => c.name)).toEqual([name])
    // The tables are still there: another account and canvas can be made.
    const next = await registerUser(server.http)
    await createCanvas(server.http, next)
  })

  const invalidCases: [string, string, unknown][] = [
    ['name is missing', 'body.name', {}],
    ['name is a number', 'body.name', { name: 42 }],
    ['name is null', 'body.name', { name: null }],
    ['name is empty', 'body.name', { name: '' }],
    ['name is blank', 'body.name', { name: ' \t ' }],
    ['name is too long', 'body.name', { name: 'n'.repeat(201) }],
    ['an unknown field is sent', 'body.color', { name: 'Mine', color: 'red' }],
    ['the body is an array', 'body', ['Mine']],
    ['the body is missing', 'body', undefined],
  ]
  it.each(invalidCases)('when %s then 400 invalid_input naming %s', async (_case, field, json) => {
    const owner = await registerUser(server.http)
    const res = await server.http.send({ method: 'POST', url: '/api/canvases', token: owner.token, json })
    expectError(res, 400, 'invalid_input', field)
    const list = await get('/api/canvases', owner)
    expect(list.body).toEqual({ canvases: [] })
  })

  it('when the name is exactly 200 characters then it is accepted', async () => {
    const owner = await registerUser(server.http)
    expect((await createCanvas(server.http, owner, 'n'.repeat(200))).name).toHaveLength(200)
  })
})

describe('GET /api/canvases', () => {
  it('[ST3] when listing then only owned and shared canvases appear, each with the caller role', async () => {
    const { owner, editor, viewer, stranger, canvas } = await canvasWithRoles(server.http)
    const ownOther = await createCanvas(server.http, stranger, 'Private')
    const listOf = async (u: TestUser) =>
      ((await get('/api/canvases', u)).body as { canvases: CanvasForUser[] }).canvases.map((c) => [
        c.id,
        c.role,
      ])
    expect(await listOf(owner)).toEqual([[canvas.id, 'owner']])
    expect(await listOf(editor)).toEqual([[canvas.id, 'editor']])
    expect(await listOf(viewer)).toEqual([[canvas.id, 'viewer']])
    expect(await listOf(stranger)).toEqual([[ownOther.id, 'owner']])
  })
})

describe('GET /api/canvases/:id', () => {
  it('when a member asks then 200 with the canvas and their role', async () => {
    const { owner, viewer, canvas } = await canvasWithRoles(server.http, 'Team board')
    const res = await get(`/api/canvases/${canvas.id}`, viewer)
    expect(res.status).toBe(200)
    expect(res.body).toStrictEqual({ canvas: { ...canvas, role: 'viewer' } })
    expect((await get(`/api/canvases/${canvas.id}`, owner)).body).toStrictEqual({ canvas })
  })

  it('[Z1] when the canvas is not shared with the caller then 404, the same as a missing canvas, without its data', async () => {
    const owner = await registerUser(server.http)
    const stranger = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, 'Secret plans')
    const hidden = await get(`/api/canvases/${canvas.id}`, stranger)
    const missing = await get('/api/canvases/does-not-exist', stranger)
    expectError(hidden, 404, 'not_found')
    expect(hidden.text).toBe(missing.text)
    expect(hidden.text).not.toContain('Secret plans')
    expect(hidden.text).not.toContain(owner.id)
  })

  it.each([
    ['has a space', 'bad%20id'],
    ['has SQL', "x'%20OR%20'1'='1"],
    ['is too long', 'a'.repeat(65)],
  ])('when the id %s then 400 invalid_input naming params.id', async (_case, id) => {
    const user = await registerUser(server.http)
    expectError(await get(`/api/canvases/${id}`, user), 400, 'invalid_input', 'params.id')
  })
})

describe('PATCH /api/canvases/:id', () => {
  it('when the owner or an editor renames then 200 with the new name, trimmed, and a later updatedAt', async () => {
    const { owner, editor, canvas } = await canvasWithRoles(server.http)
    server.clock.advance(1000)
    const res = await server.http.send<CanvasBody>({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      token: editor.token,
      json: { name: '  Renamed <b>by</b> editor  ' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body.canvas).toStrictEqual({
      ...canvas,
      name: 'Renamed <b>by</b> editor',
      role: 'editor',
      updatedAt: new Date(server.clock.now()).toISOString(),
    })
    const byOwner = await server.http.send<CanvasBody>({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
      json: { name: '🎨 final' },
    })
    expect(byOwner.body.canvas.name).toBe('🎨 final')
    expect(((await get(`/api/canvases/${canvas.id}`, owner)).body as CanvasBody).canvas.name).toBe('🎨 final')
  })

  it.each([
    ['name is missing', 'body.name', {}],
    ['name is a boolean', 'body.name', { name: true }],
    ['name is too long', 'body.name', { name: 'n'.repeat(201) }],
    ['name is blank', 'body.name', { name: '   ' }],
    ['an unknown field is sent', 'body.color', { name: 'x', color: 'red' }],
  ])('when %s then 400 invalid_input naming %s, and the name is unchanged', async (_case, field, json) => {
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, 'Unchanged')
    const res = await server.http.send({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
      json,
    })
    expectError(res, 400, 'invalid_input', field)
    expect((await get(`/api/canvases/${canvas.id}`, owner)).body).toStrictEqual({ canvas })
  })
})

describe('DELETE /api/canvases/:id', () => {
  it('when the owner deletes then 204, and nobody sees it any more', async () => {
    const { owner, editor, canvas } = await canvasWithRoles(server.http)
    const res = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
    })
    expect(res.status).toBe(204)
    expect(res.text).toBe('')
    expectError(await get(`/api/canvases/${canvas.id}`, owner), 404, 'not_found')
    expectError(await get(`/api/canvases/${canvas.id}`, editor), 404, 'not_found')
    expect((await get('/api/canvases', editor)).body).toEqual({ canvases: [] })
    expectError(
      await server.http.send({ method: 'DELETE', url: `/api/canvases/${canvas.id}`, token: owner.token }),
      404,
      'not_found',
    )
  })
})

describe('GET /api/canvases/:id/state', () => {
  it('when a member asks then 200 with canvasId, seq and objects', async () => {
    const { viewer, canvas } = await canvasWithRoles(server.http)
    const res = await get(`/api/canvases/${canvas.id}/state`, viewer)
    expect(res.status).toBe(200)
    expect(res.body).toStrictEqual({ canvasId: canvas.id, seq: 0, objects: [] })
  })
})

describe('canvas members', () => {
  it('when listing members then the owner comes first, then members by username', async () => {
    const owner = await registerUser(server.http, { username: 'zed the owner' })
    const carol = await registerUser(server.http, { username: 'carol' })
    const alice = await registerUser(server.http, { username: 'alice' })
    const bob = await registerUser(server.http, { username: 'bob' })
    const canvas = await createCanvas(server.http, owner)
    await shareCanvas(server.http, owner, canvas.id, carol, 'viewer')
    await shareCanvas(server.http, owner, canvas.id, alice, 'editor')
    await shareCanvas(server.http, owner, canvas.id, bob, 'viewer')
    const res = await get(`/api/canvases/${canvas.id}/members`, bob)
    expect(res.status).toBe(200)
    const entry = (u: TestUser, role: string): Member => ({
      userId: u.id,
      email: u.email,
      username: u.username,
      role: role as Member['role'],
    })
    expect(res.body).toStrictEqual({
      members: [entry(owner, 'owner'), entry(alice, 'editor'), entry(bob, 'viewer'), entry(carol, 'viewer')],
    })
  })

  it('[SHARE1] when the owner shares with an account then 201 with an invitation, and access follows only its acceptance; sharing a member again with another role then 200', async () => {
    const owner = await registerUser(server.http)
    const friend = await registerUser(server.http, { username: '<b>friend</b>' })
    const canvas = await createCanvas(server.http, owner)
    const first = await server.http.send<{ invite: { id: string } }>({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/members`,
      token: owner.token,
      json: { email: friend.email.toUpperCase(), role: 'viewer' },
    })
    expect(first.status, first.text).toBe(201)
    expect(first.body).toStrictEqual({
      invite: {
        id: anyString(),
        canvasId: canvas.id,
        kind: 'email',
        email: friend.email,
        role: 'viewer',
        createdBy: owner.id,
        createdAt: anyString(),
        expiresAt: anyString(),
      },
    })
    expectError(await get(`/api/canvases/${canvas.id}`, friend), 404, 'not_found')
    const accepted = await server.http.send({
      method: 'POST',
      url: `/api/invites/${first.body.invite.id}/accept`,
      token: friend.token,
    })
    expect(accepted.status, accepted.text).toBe(200)
    const second = await server.http.send({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/members`,
      token: owner.token,
      json: { email: friend.email, role: 'editor' },
    })
    expect(second.status, second.text).toBe(200)
    expect(second.body).toStrictEqual({
      member: { userId: friend.id, email: friend.email, username: '<b>friend</b>', role: 'editor' },
    })
    expect(((await get(`/api/canvases/${canvas.id}`, friend)).body as CanvasBody).canvas.role).toBe('editor')
  })

  it('[SHARE1] when the email has no account then the same answer as for one that has; when it is the owner then 409', async () => {
    const owner = await registerUser(server.http)
    const someone = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const share = (email: string) =>
      server.http.send<{ invite: Record<string, unknown> }>({
        method: 'POST',
        url: `/api/canvases/${canvas.id}/members`,
        token: owner.token,
        json: { email, role: 'editor' },
      })
    const unknown = await share('nobody-here@example.test')
    const known = await share(someone.email)
    expect([unknown.status, known.status]).toEqual([201, 201])
    const shape = (body: { invite: Record<string, unknown> }) =>
      Object.fromEntries(
        Object.entries(body.invite).filter(([k]) => !['id', 'email', 'createdAt', 'expiresAt'].includes(k)),
      )
    expect(shape(unknown.body)).toStrictEqual(shape(known.body))
    expect(Object.keys(unknown.body.invite).sort()).toStrictEqual(Object.keys(known.body.invite).sort())
    // Nothing reaches the registered user's list until they accept.
    expect(((await get('/api/canvases', someone)).body as { canvases: unknown[] }).canvases).toStrictEqual([])
    expectError(await share(owner.email), 409, 'conflict')
  })

  it.each([
    ['email is missing', 'body.email', { role: 'viewer' }],
    ['role is missing', 'body.role', { email: 'a@example.test' }],
    ['role is owner', 'body.role', { email: 'a@example.test', role: 'owner' }],
    ['role is a number', 'body.role', { email: 'a@example.test', role: 1 }],
    ['email is not an email', 'body.email', { email: "'; DROP TABLE users; --", role: 'viewer' }],
    ['email is too long', 'body.email', { email: `${'a'.repeat(250)}@x.io`, role: 'viewer' }],
    ['an unknown field is sent', 'body.note', { email: 'a@example.test', role: 'viewer', note: 'hi' }],
  ])('when %s then 400 invalid_input naming %s', async (_case, field, json) => {
    const owner = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    const res = await server.http.send({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/members`,
      token: owner.token,
      json,
    })
    expectError(res, 400, 'invalid_input', field)
  })

  it('when the owner removes a member then 204 and the member loses access', async () => {
    const { owner, editor, canvas } = await canvasWithRoles(server.http)
    const res = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}/members/${editor.id}`,
      token: owner.token,
    })
    expect(res.status).toBe(204)
    expectError(await get(`/api/canvases/${canvas.id}`, editor), 404, 'not_found')
    expectError(
      await server.http.send({
        method: 'DELETE',
        url: `/api/canvases/${canvas.id}/members/${editor.id}`,
        token: owner.token,
      }),
      404,
      'not_found',
    )
  })

  it('when a member removes themselves then 204: anyone may leave', async () => {
    const { viewer, canvas } = await canvasWithRoles(server.http)
    const res = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}/members/${viewer.id}`,
      token: viewer.token,
    })
    expect(res.status).toBe(204)
    expectError(await get(`/api/canvases/${canvas.id}`, viewer), 404, 'not_found')
  })

  it('when the owner is the one to remove then 409 conflict', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    expectError(
      await server.http.send({
        method: 'DELETE',
        url: `/api/canvases/${canvas.id}/members/${owner.id}`,
        token: owner.token,
      }),
      409,
      'conflict',
    )
  })

  it('when the user id is malformed then 400 naming params.userId', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    expectError(
      await server.http.send({
        method: 'DELETE',
        url: `/api/canvases/${canvas.id}/members/${encodeURIComponent("1' OR '1'='1")}`,
        token: owner.token,
      }),
      400,
      'invalid_input',
      'params.userId',
    )
  })
})

import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import type { PublicUser } from '../../src/auth/accounts.js'
import type { CanvasForUser, MemberRole } from '../../src/store/canvasStore.js'
import type { ApiClient } from './apiClient.js'

export interface SignedInBody {
  user: PublicUser
  sessionId: string
}

export interface TestUser extends PublicUser {
  password: string
  /** The session token from registration: use as Bearer token or session cookie. */
  token: string
}

let counter = 0

/** A unique email per call, so tests never share accounts. */
export function uniqueEmail(label = 'user'): string {
  counter += 1
  return `${label}-${counter}-${randomUUID().slice(0, 8)}@example.test`
}

export const TEST_PASSWORD = 'correct horse battery staple'

/** Registers a new account over HTTP and returns it with its session token. */
export async function registerUser(
  api: ApiClient,
  input: { email?: string; username?: string; password?: string } = {},
): Promise<TestUser> {
  const email = input.email ?? uniqueEmail()
  const password = input.password ?? TEST_PASSWORD
  const username = input.username ?? `user ${email.slice(0, email.indexOf('@'))}`
  const res = await api.send<SignedInBody>({
    method: 'POST',
    url: '/api/register',
    json: { email, username, password },
  })
  expect(res.status, res.text).toBe(201)
  return { ...res.body.user, password, token: res.body.sessionId }
}

export async function createCanvas(
  api: ApiClient,
  owner: TestUser,
  name = 'A canvas',
): Promise<CanvasForUser> {
  const res = await api.send<{ canvas: CanvasForUser }>({
    method: 'POST',
    url: '/api/canvases',
    token: owner.token,
    json: { name },
  })
  expect(res.status, res.text).toBe(201)
  return res.body.canvas
}

/**
 * Gives `member` the role: the owner invites their email and they accept, as in the web app
 * (sharing adds nobody without their consent [SHARE1]); a member already there just changes role.
 */
export async function shareCanvas(
  api: ApiClient,
  owner: TestUser,
  canvasId: string,
  member: TestUser,
  role: MemberRole,
): Promise<void> {
  const res = await api.send<{ invite?: { id: string } }>({
    method: 'POST',
    url: `/api/canvases/${canvasId}/members`,
    token: owner.token,
    json: { email: member.email, role },
  })
  expect(res.status, res.text).toBeOneOf([200, 201])
  if (res.body.invite === undefined) return
  const accepted = await api.send({
    method: 'POST',
    url: `/api/invites/${res.body.invite.id}/accept`,
    token: member.token,
  })
  expect(accepted.status, accepted.text).toBe(200)
}

/** A canvas with one user of each role plus a stranger who was never invited [Z1]. */
export async function canvasWithRoles(api: ApiClient, name = 'Shared canvas') {
  // Usernames are unique per server [ST5]: a suffix lets one server hold many such canvases.
  counter += 1
  const [owner, editor, viewer, stranger] = await Promise.all([
    registerUser(api, { username: `owner ${counter}` }),
    registerUser(api, { username: `editor ${counter}` }),
    registerUser(api, { username: `viewer ${counter}` }),
    registerUser(api, { username: `stranger ${counter}` }),
  ])
  const canvas = await createCanvas(api, owner, name)
  await shareCanvas(api, owner, canvas.id, editor, 'editor')
  await shareCanvas(api, owner, canvas.id, viewer, 'viewer')
  return { owner, editor, viewer, stranger, canvas }
}

import { expect } from 'vitest'
import type { CanvasObject } from '../../src/protocol/objects.js'
import type { CanvasForUser, MemberRole } from '../../src/store/canvasStore.js'
import type { ApiClient } from './apiClient.js'
import { createCanvas, registerUser, shareCanvas, uniqueEmail, type TestUser } from './fixtures.js'

export interface SharedCanvas {
  owner: TestUser
  /** One new user per role asked for, in the same order. */
  members: TestUser[]
  canvas: CanvasForUser
}

/** A new owner, a canvas, and one new user per entry of `roles` sharing it with that role. */
export async function sharedCanvas(
  api: ApiClient,
  roles: readonly MemberRole[],
  name = 'Shared canvas',
): Promise<SharedCanvas> {
  // Usernames are unique per server [ST5]: one tag per call keeps them apart.
  const tag = uniqueEmail('c').slice(0, -'@example.test'.length)
  const [owner, ...members] = await Promise.all([
    registerUser(api, { username: `owner ${tag}` }),
    ...roles.map((role, i) => registerUser(api, { username: `${role} ${i + 1} ${tag}` })),
  ])
  if (!owner) throw new Error('registration returned nothing')
  const canvas = await createCanvas(api, owner, name)
  for (const [i, member] of members.entries())
    await shareCanvas(api, owner, canvas.id, member, roles[i] as MemberRole)
  return { owner, members, canvas }
}

export interface CanvasState {
  canvasId: string
  seq: number
  objects: CanvasObject[]
}

/** GET /api/canvases/:id/state as `user`: the server's view of the canvas. */
export async function canvasState(api: ApiClient, canvasId: string, user: TestUser): Promise<CanvasState> {
  const res = await api.send<CanvasState>({
    method: 'GET',
    url: `/api/canvases/${canvasId}/state`,
    token: user.token,
  })
  expect(res.status, res.text).toBe(200)
  return res.body
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeKey } from '../../src/server/routes/accessPolicy.js'
import type { CanvasForUser, Member } from '../../src/store/canvasStore.js'
import type { ApiRequest } from '../support/apiClient.js'
import { systemClock } from '../support/clock.js'
import { expectError } from '../support/expectError.js'
import {
  createCanvas,
  registerUser,
  shareCanvas,
  TEST_PASSWORD,
  uniqueEmail,
  type TestUser,
} from '../support/fixtures.js'
import { OpLogReader } from '../support/opLogReader.js'
import { canvasState } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { generateKey, withKey, type TestKey } from '../support/triggerFixtures.js'
import { WsTestClient } from '../support/wsTestClient.js'

// [Z3] Fields the server owns, sent by a client: in every HTTP body the app validates (found in
// its route table) and in every operation. Each is refused with 400 / invalid_input naming it,
// or, where the client may legitimately name it, used as the contract says; nothing changes.

/** What an attacker would like to set: identity, ownership, ordering and audit fields. */
const SERVER_OWNED = [
  'role',
  'ownerId',
  'seq',
  'createdBy',
  'canvasId',
  'version',
  'createdAt',
  'updatedAt',
  'id',
] as const

let server: TestServer
let owner: TestUser
let friend: TestUser
let canvas: CanvasForUser
let key: TestKey
beforeAll(async () => {
  server = await startTestServer({
    clock: systemClock(),
    // Webhook endpoints resolve to a public address and deliveries go nowhere: this is about bodies.
    triggers: {
      resolveHost: async () => [{ address: '203.0.114.10', family: 4 }],
      sendWebhook: async () => ({ statusCode: 204, error: null, durationMs: 0 }),
    },
  })
  owner = await registerUser(server.http)
  friend = await registerUser(server.http)
  canvas = await createCanvas(server.http, owner, 'Before')
  await shareCanvas(server.http, owner, canvas.id, friend, 'viewer')
  key = await generateKey(server.http, owner)
  // Every cell reads the key's webhooks and inbox twice: more than the free tier's minute.
  await server.deps.triggers.store.setKeyTier(key.keyId, 'enterprise')
  const base = await server.http.send(
    withKey(key, {
      method: 'POST',
      url: `/api/canvases/${canvas.id}/objects`,
      json: { opId: 'z3-base', object: { id: 'z3-target', type: 'rect', x: 1 } },
    }),
  )
  expect(base.status, base.text).toBe(201)
})
afterAll(() => server.close())

interface BodySample {
  /** A valid request; the test adds one server-owned field to its JSON body. */
  request(): ApiRequest & { json: Record<string, unknown> }
  /** Fields the body legitimately has: they are set to a forbidden value instead of added. */
  own?: Partial<Record<(typeof SERVER_OWNED)[number], unknown>>
  /** Sent with the owner's API key (the Triggers API) instead of their session. */
  withApiKey?: boolean
}

const newEmail = uniqueEmail('z3')
const BODY_SAMPLES: Record<string, BodySample> = {
  'POST /api/register': {
    request: () => ({
      method: 'POST',
      url: '/api/register',
      json: { email: newEmail, username: 'z3', password: TEST_PASSWORD },
    }),
  },
  'POST /api/login': {
    request: () => ({
      method: 'POST',
      url: '/api/login',
      json: { email: owner.email, password: TEST_PASSWORD },
    }),
  },
  'POST /api/canvases': {
    request: () => ({ method: 'POST', url: '/api/canvases', json: { name: 'After' } }),
  },
  'PATCH /api/canvases/:id': {
    request: () => ({ method: 'PATCH', url: `/api/canvases/${canvas.id}`, json: { name: 'After' } }),
  },
  'POST /api/canvases/:id/members': {
    request: () => ({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/members`,
      json: { email: friend.email, role: 'editor' },
    }),
    // The role is the point of the body: only the member roles are accepted, never `owner`.
    own: { role: 'owner' },
  },
  'POST /api/canvases/:id/share-links': {
    request: () => ({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/share-links`,
      json: { role: 'viewer', expiresInDays: 7 },
    }),
    own: { role: 'owner' },
  },
  'POST /api/keys/generate': {
    request: () => ({ method: 'POST', url: '/api/keys/generate', json: { name: 'Zapier' } }),
  },
  'POST /api/events': {
    request: () => ({
      method: 'POST',
      url: '/api/events',
      json: { type: 'form.answered', payload: { a: 1 } },
    }),
    withApiKey: true,
  },
  'POST /api/webhook/config': {
    request: () => ({
      method: 'POST',
      url: '/api/webhook/config',
      json: { url: 'https://hooks.example.com/z3' },
    }),
    withApiKey: true,
  },
  'POST /api/webhooks': {
    request: () => ({ method: 'POST', url: '/api/webhooks', json: { url: 'https://hooks.example.com/z3' } }),
    withApiKey: true,
  },
  'POST /api/canvases/:id/objects': {
    request: () => ({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/objects`,
      json: { opId: 'z3-create', object: { id: 'z3-new', type: 'rect', x: 2 } },
    }),
    withApiKey: true,
  },
  'PATCH /api/canvases/:id/objects/:objectId': {
    request: () => ({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}/objects/z3-target`,
      json: { opId: 'z3-update', changes: { x: 3 } },
    }),
    withApiKey: true,
  },
  // A copy of the canvas: who owns it and where its log stands are the server's to say [LIST2].
  'POST /api/canvases/:id/duplicate': {
    request: () => ({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/duplicate`,
      json: { name: 'Copy' },
    }),
  },
  // An AI command: a server-owned field beside the command is refused, never stored on what it makes.
  'POST /api/canvases/:id/ai': {
    request: () => ({
      method: 'POST',
      url: `/api/canvases/${canvas.id}/ai`,
      json: { command: 'add a badge' },
    }),
  },
}

/** Everything a mass assignment could have changed, as the owner and the friend see it. */
async function snapshot() {
  const get = async (url: string, user: TestUser) =>
    (await server.http.send({ method: 'GET', url, token: user.token })).body
  return {
    ownerCanvases: (await get('/api/canvases', owner)) as { canvases: CanvasForUser[] },
    friendCanvases: (await get('/api/canvases', friend)) as { canvases: CanvasForUser[] },
    members: (await get(`/api/canvases/${canvas.id}/members`, owner)) as { members: Member[] },
    invites: (await get(`/api/canvases/${canvas.id}/invites`, owner)) as { invites: unknown[] },
    newAccount: await server.deps.store.findUserByEmail(newEmail),
    // lastUsedAt moves with every keyed request, refused or not: not what this test is about.
    keys: (
      (await get('/api/keys', owner)) as { keys: { keyId: string; name: string; tier: string }[] }
    ).keys.map(({ keyId, name, tier }) => ({ keyId, name, tier })),
    webhooks: (await server.http.send(withKey(key, { method: 'GET', url: '/api/webhooks' }))).body,
    inbox: (await server.http.send(withKey(key, { method: 'GET', url: '/api/inbox' }))).body,
    state: await canvasState(server.http, canvas.id, owner),
  }
}

describe('[Z3] mass assignment over HTTP', () => {
  it('[Z3] when the app is built, then every route that validates a body has a sample here', () => {
    const withBody = server.app.routeTable
      .filter((r) => r.hasBodySchema)
      .map((r) => routeKey(r.method, r.url))
    expect(
      withBody.filter((k) => !(k in BODY_SAMPLES)).map((k) => `route ${k} takes a body and has no Z3 sample`),
    ).toEqual([])
    expect(Object.keys(BODY_SAMPLES).sort()).toEqual([...new Set(withBody)].sort())
  })

  const cells = Object.keys(BODY_SAMPLES).flatMap((key) => SERVER_OWNED.map((field) => [key, field] as const))
  it.each(cells)(
    '[Z3] when %s carries %s, then 400 naming body.%s and nothing changes',
    async (key, field) => {
      const sample = BODY_SAMPLES[key] as BodySample
      const before = await snapshot()
      const request = sample.request()
      const value = sample.own && field in sample.own ? sample.own[field] : 'attacker-chosen'
      const tampered = { ...request, json: { ...request.json, [field]: value } }
      const res = await server.http.send(
        sample.withApiKey ? withKey(key, tampered) : { ...tampered, token: owner.token },
      )
      expectError(res, 400, 'invalid_input', `body.${field}`)
      expect(res.setCookies).toEqual([])
      expect(await snapshot()).toEqual(before)
    },
  )

  it('[Z3] when a route without a body (logout) gets server-owned fields, then they are ignored: it does only its own job', async () => {
    const session = await registerUser(server.http)
    const before = await snapshot()
    const body = Object.fromEntries(SERVER_OWNED.map((f) => [f, 'attacker-chosen']))
    const res = await server.http.send({
      method: 'POST',
      url: '/api/logout',
      json: body,
      token: session.token,
    })
    expect(res.status, res.text).toBe(204)
    expect(await snapshot()).toEqual(before)
  })
})

describe('[Z3] mass assignment in operations', () => {
  let client: WsTestClient
  let log: OpLogReader
  beforeAll(async () => {
    log = new OpLogReader(server.dataDir)
    client = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    client.send({ type: 'object-create', opId: 'base', object: { id: 'base', type: 'rect', x: 1 } })
    await client.waitForAck('base')
  })
  afterAll(() => {
    client.terminate()
    log.close()
  })

  type Placement = 'top' | 'object' | 'changes'
  // [message type, where the field goes]; the legitimate uses (object.id names the new object,
  // the update's and delete's top-level id names the target) are left out: they are the API.
  const placements: [string, Placement][] = [
    ['object-create', 'top'],
    ['object-create', 'object'],
    ['object-update', 'top'],
    ['object-update', 'changes'],
    ['object-delete', 'top'],
  ]
  const legitimate = (type: string, where: Placement, field: string) =>
    field === 'id' &&
    ((type === 'object-create' && where === 'object') || (type !== 'object-create' && where === 'top'))
  const cells = placements.flatMap(([type, where]) =>
    SERVER_OWNED.filter((f) => !legitimate(type, where, f)).map((field) => [type, where, field] as const),
  )

  let n = 0
  it.each(cells)(
    '[Z3] when %s carries %s.%s, then invalid_input naming it, with its opId, and nothing is logged',
    async (type, where, field) => {
      n += 1
      const opId = `z3-${n}`
      const base: Record<string, unknown> =
        type === 'object-create'
          ? { type, opId, object: { id: `new-${n}`, type: 'rect' } }
          : type === 'object-update'
            ? { type, opId, id: 'base', changes: { x: 2 } }
            : { type, opId, id: 'base' }
      const nested = where === 'top' ? undefined : (base[where] as Record<string, unknown>)
      if (nested) nested[field] = 'attacker-chosen'
      else base[field] = 'attacker-chosen'
      const before = log.count(canvas.id)
      const state = await canvasState(server.http, canvas.id, owner)

      client.send(base)
      const expectedField = where === 'top' ? field : `${where}.${field}`
      expect(await client.waitForError(opId)).toMatchObject({
        code: 'invalid_input',
        field: expectedField,
        opId,
      })
      expect(log.count(canvas.id)).toBe(before)
      expect(await canvasState(server.http, canvas.id, owner)).toEqual(state)
    },
  )
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLE_COMMANDS } from '../../src/ai/planner/parseCommand.js'
import type { AiCommandBody, AiQuotaBody, AiUnsupportedBody } from '../../src/protocol/aiHttpTypes.js'
import type { CanvasObject } from '../../src/protocol/objects.js'
import { expectError } from '../support/expectError.js'
import { canvasWithRoles, type TestUser } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// [AI5] POST /api/canvases/:id/ai and GET /api/ai/quota over HTTP: who may call them, the
// per-user rate limit and the quota it shows, and malformed, oversized and hostile bodies.

let server: TestServer
let roles: Awaited<ReturnType<typeof canvasWithRoles>>
beforeAll(async () => {
  server = await startTestServer({ env: { AI_COMMANDS_PER_HOUR: '5' } })
  roles = await canvasWithRoles(server.http)
})
afterAll(() => server.close())

const url = () => `/api/canvases/${roles.canvas.id}/ai`
const post = <T = AiCommandBody>(user: TestUser | undefined, json: unknown, path = url()) =>
  server.http.send<T>({ method: 'POST', url: path, json, ...(user ? { token: user.token } : {}) })
const state = async () =>
  (
    await server.http.send<{ objects: CanvasObject[] }>({
      method: 'GET',
      url: `/api/canvases/${roles.canvas.id}/state`,
      token: roles.owner.token,
    })
  ).body.objects

describe('[AI5] AI commands over HTTP', () => {
  it('[AI5] when the owner says "create a button", then 200 with the stored objects, a summary, the source and the quota left', async () => {
    const res = await post(roles.owner, { command: 'create a button that says "Go"', x: 80, y: 80 })
    expect(res.status, res.text).toBe(200)
    expect(res.body.source).toBe('planner')
    expect(res.body.objects.length).toBeGreaterThanOrEqual(3)
    expect(res.body.objects[0]).toMatchObject({ type: 'frame', x: 80, y: 80 })
    expect(res.body.summary).toMatch(/Created Go button/)
    expect(res.body.quota).toEqual({ limit: 5, remaining: 4, retryAfterSec: 0 })
    expect(res.headers['x-ai-quota-remaining']).toBe('4')
    const stored = await state()
    expect(stored.map((o) => o.id).sort()).toEqual(res.body.objects.map((o) => o.id).sort())
    expect(res.body.seq).toBeGreaterThanOrEqual(res.body.objects.length)
  })

  it('[AI5] when a viewer asks, then 403 and nothing is made; a stranger gets 404, the anonymous 401', async () => {
    const before = (await state()).length
    expectError(await post(roles.viewer, { command: 'create a button' }), 403, 'forbidden')
    expectError(await post(roles.stranger, { command: 'create a button' }), 404, 'not_found')
    expectError(await post(undefined, { command: 'create a button' }), 401, 'unauthorized')
    expectError(
      await post(roles.owner, { command: 'create a button' }, '/api/canvases/nope/ai'),
      404,
      'not_found',
    )
    expect((await state()).length).toBe(before)
  })

  it('[AI5] when the body is malformed, oversized or hostile, then 400 naming the field, and nothing is made or counted', async () => {
    const before = (await state()).length
    const quota = (
      await server.http.send<AiQuotaBody>({ method: 'GET', url: '/api/ai/quota', token: roles.editor.token })
    ).body.quota
    const cases: [unknown, string][] = [
      [{}, 'body.command'],
      [{ command: '' }, 'body.command'],
      [{ command: 'x'.repeat(501) }, 'body.command'],
      [{ command: 42 }, 'body.command'],
      [{ command: 'create a button', x: 'left' }, 'body.x'],
      [{ command: 'create a button', x: 1e9 }, 'body.x'],
      [{ command: 'create a button', selection: ['../etc'] }, 'body.selection.0'],
      [
        { command: 'create a button', selection: Array.from({ length: 5001 }, (_, i) => `id${i}`) },
        'body.selection',
      ],
      [
        { command: 'create a button', viewport: { x: 0, y: 0, width: -1, height: 10 } },
        'body.viewport.width',
      ],
      [{ command: 'create a button', role: 'owner' }, 'body.role'],
      [{ command: 'create a button', objects: [{ id: 'x', type: 'rect' }] }, 'body.objects'],
    ]
    for (const [body, field] of cases) {
      const res = await post(roles.editor, body)
      expect(res.status, `${JSON.stringify(body).slice(0, 80)} → ${res.text}`).toBe(400)
      expect((res.body as unknown as { error: { field?: string } }).error.field).toBe(field)
    }
    const proto = await server.http.send({
      method: 'POST',
      url: url(),
      token: roles.editor.token,
      headers: { 'content-type': 'application/json' },
      payload: '{"command":"create a button","__proto__":{"role":"owner"}}',
    })
    expect(proto.status).toBe(400)
    expect((await state()).length).toBe(before)
    const after = (
      await server.http.send<AiQuotaBody>({ method: 'GET', url: '/api/ai/quota', token: roles.editor.token })
    ).body.quota
    expect(after.remaining).toBe(quota.remaining)
  })

  it('[AI5] when a command is not understood, then 422 with three suggestions, and nothing is made', async () => {
    const before = (await state()).length
    const res = await post<AiUnsupportedBody>(roles.editor, { command: 'bake a cake and sing' })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('unsupported_command')
    expect(res.body.suggestions).toHaveLength(3)
    for (const s of res.body.suggestions) expect(EXAMPLE_COMMANDS).toContain(s)
    expect((await state()).length).toBe(before)
  })

  it('[AI5] when labels carry markup or control characters, then they are stored as plain text, never interpreted', async () => {
    const res = await post(roles.editor, { command: 'add a badge "<img src=x onerror=alert(1)>"' })
    expect(res.status, res.text).toBe(200)
    const label = res.body.objects.find((o) => o.type === 'text')
    expect(label?.text).toMatch(/^<img/)
  })

  it('[AI5] when an edit command has nothing selected to act on, then 422 says why and nothing changes', async () => {
    const res = await post<AiUnsupportedBody>(roles.editor, { command: 'align left', selection: [] })
    expect(res.status).toBe(422)
    expect(res.body.error.message).toMatch(/select at least 2/)
  })

  it('[AI5] when a user passes the hourly limit, then 429 with Retry-After and the quota at 0; GET /api/ai/quota shows it; another user is unaffected; time brings it back', async () => {
    const user = roles.owner
    let last
    for (let i = 0; i < 10; i++) {
      last = await post(user, { command: 'add a badge' })
      if (last.status === 429) break
      expect(last.status, last.text).toBe(200)
    }
    expectError(last as NonNullable<typeof last>, 429, 'rate_limited')
    const retryAfter = Number(last?.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(3600 / 5)
    expect(last?.headers['x-ai-quota-remaining']).toBe('0')
    const quota = await server.http.send<AiQuotaBody>({
      method: 'GET',
      url: '/api/ai/quota',
      token: user.token,
    })
    expect(quota.status).toBe(200)
    expect(quota.headers['cache-control']).toBe('no-store')
    expect(quota.body).toEqual({
      quota: { limit: 5, remaining: 0, retryAfterSec: retryAfter },
      claude: false,
    })
    // The viewer's quota is their own: untouched.
    const other = await server.http.send<AiQuotaBody>({
      method: 'GET',
      url: '/api/ai/quota',
      token: roles.viewer.token,
    })
    expect(other.body.quota.remaining).toBe(5)
    server.clock.advance(retryAfter * 1000)
    expect((await post(user, { command: 'add a badge' })).status).toBe(200)
  })

  it('[AI5] when GET /api/ai/quota is called without a session, then 401', async () => {
    expectError(await server.http.send({ method: 'GET', url: '/api/ai/quota' }), 401, 'unauthorized')
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { AiCommandBody, AiQuotaBody } from '../../src/protocol/aiHttpTypes.js'
import type { CanvasObject } from '../../src/protocol/objects.js'
import { json, startFakeAnthropic, toolUse, type FakeAnthropic } from '../support/fakeAnthropic.js'
import { createCanvas, registerUser, type TestUser } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// [AI6] The Claude path against a local fake of the Messages API (reached through the SDK's
// baseURL): the tools offered, tool calls executed, hostile or malformed answers refused whole,
// and a slow, rate-limited or failing provider answered within the deadline by the planner or a
// clear error. Nothing partial is ever stored.

const DEADLINE_MS = 1_000
/** The deadline plus what the server needs around it. */
const ANSWER_WITHIN_MS = DEADLINE_MS + 1_000

let fake: FakeAnthropic
let server: TestServer
let user: TestUser
let canvasId: string
beforeAll(async () => {
  fake = await startFakeAnthropic()
  server = await startTestServer({
    env: {
      ANTHROPIC_API_KEY: 'sk-ant-test-key',
      ANTHROPIC_BASE_URL: fake.url,
      AI_DEADLINE_MS: String(DEADLINE_MS),
      AI_COMMANDS_PER_HOUR: '1000',
    },
  })
  user = await registerUser(server.http, { username: 'claude user' })
  canvasId = (await createCanvas(server.http, user)).id
})
afterAll(async () => {
  await server.close()
  await fake.close()
})
beforeEach(() => {
  fake.requests.length = 0
})

async function command(text: string) {
  const started = performance.now()
  const res = await server.http.send<AiCommandBody & { error?: { code: string; message: string } }>({
    method: 'POST',
    url: `/api/canvases/${canvasId}/ai`,
    token: user.token,
    json: { command: text },
  })
  return { res, ms: performance.now() - started }
}
const objectCount = async () =>
  (
    await server.http.send<{ objects: CanvasObject[] }>({
      method: 'GET',
      url: `/api/canvases/${canvasId}/state`,
      token: user.token,
    })
  ).body.objects.length

describe('[AI6] the Claude provider', () => {
  it('[AI6] when the planner cannot read a command, then Claude is offered every builder and edit as a tool, with a cached system prompt, and its tool call is built', async () => {
    fake.answer((_req, res) =>
      json(
        res,
        200,
        toolUse([
          { name: 'create_pricing_table', input: { count: 2, theme: 'dark', labels: ['Hobby', 'Studio'] } },
        ]),
      ),
    )
    const { res } = await command('something for people to pay us with, two options, moody')
    expect(res.status, res.text).toBe(200)
    expect(res.body.source).toBe('claude')
    expect(res.body.objects[0]).toMatchObject({ type: 'frame', name: 'Pricing table', fill: '#111318' })
    expect(res.body.objects.filter((o) => o.name?.match(/^Tier \d+$/))).toHaveLength(2)

    expect(fake.requests).toHaveLength(1)
    const [request] = fake.requests
    expect(request?.url).toBe('/v1/messages')
    // This SDK version sends the key as a bearer token (older ones as x-api-key).
    expect(request?.headers.authorization ?? `Bearer ${String(request?.headers['x-api-key'])}`).toBe(
      'Bearer sk-ant-test-key',
    )
    expect(request?.headers['accept-encoding']).toBe('identity')
    const body = request?.body as {
      model: string
      tools: { name: string; input_schema: object }[]
      system: unknown
      tool_choice: unknown
      messages: unknown
    }
    expect(body.model).toBe('claude-haiku-4-5')
    expect(body.tool_choice).toEqual({ type: 'any' })
    expect(body.system).toEqual([
      expect.objectContaining({ type: 'text', cache_control: { type: 'ephemeral' } }),
    ])
    const names = body.tools.map((t) => t.name)
    for (const name of [
      'create_login_form',
      'create_pricing_table',
      'create_shapes',
      'align',
      'distribute',
      'arrange_grid',
      'resize',
      'delete_objects',
      'recolor',
      'apply_theme',
    ]) {
      expect(names).toContain(name)
    }
    expect(names.length).toBe(24 + 1 + 7)
    expect(body.messages).toEqual([
      { role: 'user', content: 'something for people to pay us with, two options, moody' },
    ])
  })

  it('[AI6] when the planner reads the whole command, then Claude is not asked at all', async () => {
    fake.answer((_req, res) => json(res, 500, {}))
    const { res } = await command('create a login form')
    expect(res.status).toBe(200)
    expect(res.body.source).toBe('planner')
    expect(fake.requests).toHaveLength(0)
  })

  it('[AI6] when the planner reads part of a command, then Claude is asked only for the rest, and both parts are made', async () => {
    fake.answer((_req, res) => json(res, 200, toolUse([{ name: 'create_badge', input: { labels: ['✨'] } }])))
    const { res } = await command('create a login form; sprinkle some sparkle on it')
    expect(res.status, res.text).toBe(200)
    expect(res.body.source).toBe('planner+claude')
    expect((fake.requests[0]?.body.messages as { content: string }[])[0]?.content).toBe(
      'sprinkle some sparkle on it',
    )
    expect(res.body.objects.filter((o) => o.type === 'frame').map((o) => o.name)).toEqual([
      'Sign in',
      '✨ badge',
    ])
  })

  it('[AI6] when Claude asks for an edit, then it comes back as a preview like the planner’s', async () => {
    fake.answer((_req, res) =>
      json(
        res,
        200,
        toolUse([{ name: 'recolor', input: { target: { scope: 'all', types: ['text'] }, color: 'purple' } }]),
      ),
    )
    const { res } = await command('give every bit of writing a royal tint')
    expect(res.status, res.text).toBe(200)
    expect(res.body.objects).toEqual([])
    expect(res.body.preview?.updates.length).toBeGreaterThan(0)
    for (const u of res.body.preview?.updates ?? []) expect(u.changes).toEqual({ fill: '#7048e8' })
  })

  const hostile: [string, (res: import('node:http').ServerResponse) => void][] = [
    [
      'a body that is not JSON',
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"content": [ {"type": "tool_use", ')
      },
    ],
    [
      'an oversize answer (2 MB)',
      (res) =>
        json(res, 200, toolUse([{ name: 'create_button', input: { labels: ['x'.repeat(2_000_000)] } }])),
    ],
    [
      'an oversize answer streamed without a length',
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        const chunk = 'x'.repeat(64 * 1024)
        for (let i = 0; i < 16; i++) res.write(chunk)
        res.end()
      },
    ],
    ['content that is not a list', (res) => json(res, 200, { ...toolUse([]), content: 'create a button' })],
    [
      'a tool input of the wrong shape',
      (res) => json(res, 200, toolUse([{ name: 'create_data_table', input: { count: 'lots' } }])),
    ],
    [
      'raw objects smuggled into a tool input',
      (res) =>
        json(
          res,
          200,
          toolUse([
            { name: 'create_button', input: { labels: ['ok'], objects: [{ id: 'evil', type: 'rect' }] } },
          ]),
        ),
    ],
    [
      'a count past the cap',
      (res) => json(res, 200, toolUse([{ name: 'create_list', input: { count: 100_000 } }])),
    ],
    [
      'an unknown tool',
      (res) => json(res, 200, toolUse([{ name: 'create_raw_objects', input: { objects: [] } }])),
    ],
    [
      'a tool name that tries a prototype key',
      (res) => json(res, 200, toolUse([{ name: '__proto__', input: {} }])),
    ],
    [
      'a valid call followed by a bad one',
      (res) =>
        json(
          res,
          200,
          toolUse([
            { name: 'create_button', input: {} },
            { name: 'recolor', input: { target: {}, color: 'url(javascript:x)' } },
          ]),
        ),
    ],
    [
      'too many tool calls',
      (res) =>
        json(res, 200, toolUse(Array.from({ length: 50 }, () => ({ name: 'create_badge', input: {} })))),
    ],
  ]
  for (const [what, answer] of hostile) {
    it(`[AI6] when Claude answers with ${what}, then a clear 503 within the deadline and nothing is stored`, async () => {
      fake.answer((_req, res) => answer(res))
      const before = await objectCount()
      const { res, ms } = await command('conjure something whimsical')
      expect(res.status, res.text).toBe(503)
      expect(res.body.error?.code).toBe('ai_unavailable')
      expect(res.body.error?.message).toMatch(/the AI/)
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS)
      expect(await objectCount()).toBe(before)
    })
  }

  it('[AI6] when Claude calls no tool, then 422 with suggestions, as for the planner', async () => {
    fake.answer((_req, res) =>
      json(res, 200, {
        ...toolUse([]),
        content: [{ type: 'text', text: 'I cannot help with that.' }],
        stop_reason: 'end_turn',
      }),
    )
    const { res } = await command('write me a poem')
    expect(res.status).toBe(422)
  })

  const slow: [string, (res: import('node:http').ServerResponse) => void][] = [
    ['never answers', () => {}],
    [
      'answers 429 with retry-after: 60',
      (res) =>
        json(
          res,
          429,
          { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
          { 'retry-after': '60' },
        ),
    ],
    [
      'answers 500 every time',
      (res) => json(res, 500, { type: 'error', error: { type: 'api_error', message: 'boom' } }),
    ],
    [
      'answers 529 overloaded',
      (res) => json(res, 529, { type: 'error', error: { type: 'overloaded_error', message: 'busy' } }),
    ],
  ]
  for (const [what, answer] of slow) {
    it(`[AI6] when the provider ${what}, then a command the planner cannot do gets a clear 503 within the deadline`, async () => {
      fake.answer((_req, res) => answer(res))
      const before = await objectCount()
      const { res, ms } = await command('conjure something whimsical')
      expect(res.status, res.text).toBe(503)
      expect(res.body.error?.code).toBe('ai_unavailable')
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS)
      expect(await objectCount()).toBe(before)
    })

    it(`[AI6] when the provider ${what}, then the planner's part of a command is made within the deadline, and the summary says what was skipped`, async () => {
      fake.answer((_req, res) => answer(res))
      const { res, ms } = await command('add a button; conjure something whimsical')
      expect(res.status, res.text).toBe(200)
      expect(res.body.source).toBe('planner')
      expect(res.body.summary).toMatch(/Skipped “conjure something whimsical”/)
      expect(res.body.objects[0]?.type).toBe('frame')
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS)
    })
  }

  it('[AI6] when the quota endpoint is asked, then it says Claude is configured', async () => {
    const res = await server.http.send<AiQuotaBody>({
      method: 'GET',
      url: '/api/ai/quota',
      token: user.token,
    })
    expect(res.body.claude).toBe(true)
  })

  it('[AI6][I1] when a user has spent the daily token budget, then Claude is not asked again until the budget has refilled: the planner alone answers', async () => {
    const tight = await startTestServer({
      env: {
        ANTHROPIC_API_KEY: 'sk-ant-test-key',
        ANTHROPIC_BASE_URL: fake.url,
        AI_DEADLINE_MS: String(DEADLINE_MS),
        AI_TOKENS_PER_DAY: '1000',
        SESSION_TIMEOUT: '604800',
      },
    })
    try {
      const spender = await registerUser(tight.http, { username: 'spender' })
      const canvas = await createCanvas(tight.http, spender)
      fake.answer((_req, res) => json(res, 200, toolUse([{ name: 'create_badge', input: {} }])))
      const send = (command: string) =>
        tight.http.send<AiCommandBody>({
          method: 'POST',
          url: `/api/canvases/${canvas.id}/ai`,
          token: spender.token,
          json: { command },
        })
      // 1,260 tokens billed (usage input + output): past the budget of 1,000.
      expect((await send('conjure something whimsical')).status).toBe(200)
      expect(fake.requests).toHaveLength(1)
      const second = await send('conjure something whimsical')
      expect(second.status).toBe(422)
      expect((await send('add a button; conjure something whimsical')).body.source).toBe('planner')
      expect(fake.requests).toHaveLength(1)
      // A day's refill pays the 260 overspent and leaves 740.
      tight.clock.advance(86_400_000)
      expect((await send('conjure something whimsical')).status).toBe(200)
      expect(fake.requests).toHaveLength(2)
    } finally {
      await tight.close()
    }
  })
})

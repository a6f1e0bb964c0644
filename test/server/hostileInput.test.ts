import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BODY_LIMIT_BYTES } from '../../src/server/app.js'
import type { CanvasForUser } from '../../src/store/canvasStore.js'
import type { ApiRequest } from '../support/apiClient.js'
import { expectError } from '../support/expectError.js'
import { anyString } from '../support/matchers.js'
import { canvasWithRoles, registerUser, uniqueEmail } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// [I2] Bodies the server must refuse before any handler runs, on every endpoint that takes
// one. Each case checks that nothing changed afterwards.

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

type Setup = Awaited<ReturnType<typeof canvasWithRoles>>
interface BodyEndpoint {
  name: string
  method: ApiRequest['method']
  url(s: Setup): string
  /** A body the endpoint would accept. */
  valid(s: Setup): Record<string, unknown>
}

const BODY_ENDPOINTS: BodyEndpoint[] = [
  {
    name: 'POST /api/register',
    method: 'POST',
    url: () => '/api/register',
    valid: () => ({ email: uniqueEmail('hostile'), username: 'h', password: 'plum tree 1994' }),
  },
  {
    name: 'POST /api/login',
    method: 'POST',
    url: () => '/api/login',
    valid: (s) => ({ email: s.owner.email, password: s.owner.password }),
  },
  { name: 'POST /api/logout', method: 'POST', url: () => '/api/logout', valid: () => ({}) },
  { name: 'POST /api/canvases', method: 'POST', url: () => '/api/canvases', valid: () => ({ name: 'n' }) },
  {
    name: 'PATCH /api/canvases/:id',
    method: 'PATCH',
    url: (s) => `/api/canvases/${s.canvas.id}`,
    valid: () => ({ name: 'renamed' }),
  },
  {
    name: 'DELETE /api/canvases/:id',
    method: 'DELETE',
    url: (s) => `/api/canvases/${s.canvas.id}`,
    valid: () => ({}),
  },
  {
    name: 'POST /api/canvases/:id/members',
    method: 'POST',
    url: (s) => `/api/canvases/${s.canvas.id}/members`,
    valid: (s) => ({ email: s.stranger.email, role: 'editor' }),
  },
  {
    name: 'DELETE /api/canvases/:id/members/:userId',
    method: 'DELETE',
    url: (s) => `/api/canvases/${s.canvas.id}/members/${s.editor.id}`,
    valid: () => ({}),
  },
]

/** What must still hold after a refused request: nothing written, the session alive. */
async function expectUnchanged(s: Setup): Promise<void> {
  const owner = await server.inject.send<{ canvases: CanvasForUser[] }>({
    method: 'GET',
    url: '/api/canvases',
    token: s.owner.token,
  })
  // The list adds where the log stands (seq, editedAt) to the canvas as created: nothing edited.
  expect(owner.body.canvases).toStrictEqual([{ ...s.canvas, seq: 0, editedAt: s.canvas.createdAt }])
  const members = await server.inject.send<{ members: { userId: string }[] }>({
    method: 'GET',
    url: `/api/canvases/${s.canvas.id}/members`,
    token: s.owner.token,
  })
  expect(members.body.members.map((m) => m.userId).sort()).toEqual(
    [s.owner.id, s.editor.id, s.viewer.id].sort(),
  )
}

const json = { 'content-type': 'application/json' }

interface HostileCase {
  name: string
  request(valid: Record<string, unknown>): Pick<ApiRequest, 'payload' | 'headers'>
  status: number
  code: 'invalid_input' | 'payload_too_large' | 'unsupported_media_type'
  field?: string
}

const HOSTILE: HostileCase[] = [
  {
    name: 'the body is over 1 MiB',
    request: (valid) => ({
      headers: json,
      payload: JSON.stringify({ ...valid, padding: 'x'.repeat(BODY_LIMIT_BYTES) }),
    }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'the JSON is malformed',
    request: (valid) => ({ headers: json, payload: JSON.stringify(valid).slice(0, -1) }),
    status: 400,
    code: 'invalid_input',
    field: 'body',
  },
  {
    name: 'the JSON has a __proto__ key',
    request: (valid) => ({
      headers: json,
      payload: JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"role":"owner","isAdmin":true},'),
    }),
    status: 400,
    code: 'invalid_input',
    field: 'body',
  },
  {
    name: 'the JSON has constructor.prototype',
    request: (valid) => ({
      headers: json,
      payload: JSON.stringify({ ...valid, constructor: { prototype: { isAdmin: true } } }),
    }),
    status: 400,
    code: 'invalid_input',
    field: 'body',
  },
  {
    name: 'the body is Brotli-encoded',
    request: (valid) => ({ headers: { ...json, 'content-encoding': 'br' }, payload: JSON.stringify(valid) }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'the body is gzip-encoded',
    request: (valid) => ({
      headers: { ...json, 'content-encoding': 'gzip' },
      payload: JSON.stringify(valid),
    }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'the body is deflate-encoded',
    request: (valid) => ({
      headers: { ...json, 'content-encoding': 'deflate' },
      payload: JSON.stringify(valid),
    }),
    status: 415,
    code: 'unsupported_media_type',
  },
]

describe('[I2] hostile bodies on every endpoint that takes one', () => {
  it.each(BODY_ENDPOINTS)(
    '[I2] when $name gets each hostile body (oversized, malformed, __proto__, encoded) then its error and nothing changes',
    async (endpoint) => {
      const s = await canvasWithRoles(server.inject)
      for (const hostile of HOSTILE) {
        const res = await server.inject.send({
          method: endpoint.method,
          url: endpoint.url(s),
          token: s.owner.token,
          ...hostile.request(endpoint.valid(s)),
        })
        expect({ case: hostile.name, status: res.status }).toEqual({
          case: hostile.name,
          status: hostile.status,
        })
        expectError(res, hostile.status, hostile.code, hostile.field)
        await expectUnchanged(s)
      }
    },
  )
})

describe('[I2] deeply nested JSON', () => {
  it.each([
    ['objects', (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, 'body.name'],
    [
      'arrays in a field',
      (depth: number) => `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      'body.name',
    ],
    [
      'objects around a __proto__ key',
      (depth: number) => `${'{"a":'.repeat(depth)}{"__proto__":{}}${'}'.repeat(depth)}`,
      'body',
    ],
  ])('[I2] when the body is 100 000 levels of %s then 400, never a 5xx', async (_case, build, field) => {
    const owner = await registerUser(server.inject)
    const res = await server.inject.send({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      headers: { 'content-type': 'application/json' },
      payload: build(100_000),
    })
    expectError(res, 400, 'invalid_input', field)
  })
})

describe('[I2] content-type variants', () => {
  // From the Fastify content-type CVEs: each is either refused (415) or parsed and then
  // validated exactly as plain application/json would be; never accepted unvalidated.
  const VARIANTS = [
    'application/json\tx',
    ' application/json',
    'Application/JSON ;',
    'application/json garbage',
  ]
  it.each(VARIANTS)(
    '[I2] when Content-Type is %j then refused or validated like JSON',
    async (contentType) => {
      const owner = await registerUser(server.inject)
      const send = (payload: string) =>
        server.inject.send({
          method: 'POST',
          url: '/api/canvases',
          token: owner.token,
          headers: { 'content-type': contentType },
          payload,
        })
      const invalid = await send('{"name":42}')
      if (invalid.status === 415) expectError(invalid, 415, 'unsupported_media_type')
      else expectError(invalid, 400, 'invalid_input', 'body.name')
      const extra = await send('{"name":"ok","ownerId":"someone"}')
      if (extra.status === 415) expectError(extra, 415, 'unsupported_media_type')
      else expectError(extra, 400, 'invalid_input', 'body.ownerId')
      const valid = await send('{"name":"ok"}')
      expect(valid.status).toBeOneOf([201, 415])
      const list = await server.inject.send<{ canvases: CanvasForUser[] }>({
        method: 'GET',
        url: '/api/canvases',
        token: owner.token,
      })
      expect(list.body.canvases.map((c) => [c.name, c.ownerId])).toEqual(
        valid.status === 201 ? [['ok', owner.id]] : [],
      )
    },
  )

  it('[I2] when the body is text/plain then 400, never parsed as JSON', async () => {
    const owner = await registerUser(server.inject)
    const res = await server.inject.send({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      headers: { 'content-type': 'text/plain' },
      payload: '{"name":"sneaky"}',
    })
    expectError(res, 400, 'invalid_input', 'body')
  })
})

describe('unknown routes', () => {
  it.each([
    ['GET', '/api/nope'],
    ['POST', '/api/canvases/abc/unknown'],
    ['DELETE', '/api/session'],
    ['GET', '/api/'],
  ] as const)('when %s %s is requested then 404 JSON not_found', async (method, url) => {
    const user = await registerUser(server.inject)
    const res = await server.http.send({ method, url, token: user.token })
    expectError(res, 404, 'not_found')
    expect(res.headers['cache-control']).toBe('no-store')
  })
})

/** Raw bytes to the server; resolves with everything it answered once it closes or `until` matches. */
function rawExchange(
  baseUrl: string,
  request: string | Buffer,
  until = /\r\n\r\n[\s\S]*\}$/,
): Promise<string> {
  const { port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    let data = ''
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString()
      if (until.test(data)) socket.destroy()
    })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
}

function parseRaw(raw: string): {
  status: number
  headers: Record<string, string>
  body: unknown
  text: string
} {
  const [head = '', text = ''] = raw.split('\r\n\r\n', 2)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const i = line.indexOf(':')
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(text) as unknown, text }
}

describe('[I2] the HTTP layer’s own refusals use the error format and never echo the input', () => {
  const MARKER = 'ECHO-MARKER-7f3a'

  it.each([
    ['a bad percent-encoding in the path', `/api/${MARKER}/%zz`, 400, 'invalid_input'],
    ['a truncated percent-encoding', `/api/canvases/${MARKER}%E0%A4%A`, 400, 'invalid_input'],
    // find-my-way answers an over-long parameter as no match, not 414.
    ['an over-long path segment', `/api/canvases/${MARKER}${'a'.repeat(300)}`, 404, 'not_found'],
  ] as const)(
    '[I2] when the URL has %s then %s %s in the format, without the URL',
    async (_case, url, status, code) => {
      const res = await server.http.send({ method: 'GET', url })
      expectError(res, status, code)
      expect(res.text).not.toContain(MARKER)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    },
  )

  it('[I2] when no route matches then the 404 does not quote the path', async () => {
    const res = await server.http.send({ method: 'GET', url: `/api/${MARKER}` })
    expectError(res, 404, 'not_found')
    expect(res.text).not.toContain(MARKER)
  })

  it('[I2] when the Content-Type is unsupported then 415 without quoting it', async () => {
    const owner = await registerUser(server.inject)
    const res = await server.inject.send({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      headers: { 'content-type': `application/x-${MARKER}` },
      payload: 'x',
    })
    expectError(res, 415, 'unsupported_media_type')
    expect(res.text).not.toContain(MARKER)
  })

  it('[I2] when the JSON is malformed then 400 without quoting the body', async () => {
    const owner = await registerUser(server.inject)
    const res = await server.inject.send({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      headers: { 'content-type': 'application/json' },
      payload: `{"name": ${MARKER}}`,
    })
    expectError(res, 400, 'invalid_input', 'body')
    expect(res.text).not.toContain(MARKER)
  })

  it.each([
    [
      'headers over 16 KiB',
      `GET /health HTTP/1.1\r\nHost: x\r\nX-${MARKER}: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'payload_too_large',
    ],
    [
      'a request line over 16 KiB',
      `GET /${MARKER}${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      431,
      'payload_too_large',
    ],
    ['a malformed request line', `GET /${MARKER} HTTP/9.Z\r\nHost: x\r\n\r\n`, 400, 'invalid_input'],
    [
      'a header without a colon',
      `GET /health HTTP/1.1\r\nHost: x\r\n${MARKER}\r\n\r\n`,
      400,
      'invalid_input',
    ],
    [
      'a bad chunked body',
      `POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ${MARKER}\r\n`,
      400,
      'invalid_input',
    ],
  ] as const)(
    '[I2] when a request has %s then Node’s refusal is %s %s in the format, with security headers, without the input',
    async (_case, request, status, code) => {
      const res = parseRaw(await rawExchange(server.baseUrl, request))
      expect(res.status, res.text).toBe(status)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(res.body).toStrictEqual({ error: { code, message: anyString() } })
      expect(res.text).not.toContain(MARKER)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['content-security-policy']).toContain("default-src 'none'")
      // The server is still serving.
      expect((await server.http.send({ method: 'GET', url: '/health' })).status).toBe(200)
    },
  )
})

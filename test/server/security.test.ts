import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMetricsApp } from '../../src/server/app.js'
import type { CanvasForUser } from '../../src/store/canvasStore.js'
import { fetchClient, type ApiRequest, type ApiResponse } from '../support/apiClient.js'
import { expectError } from '../support/expectError.js'
import {
  canvasWithRoles,
  createCanvas,
  registerUser,
  uniqueEmail,
  type TestUser,
} from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

const APP_ORIGIN = 'https://app.example.com'
const EVIL_ORIGIN = 'https://evil.example'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ env: { CORS_ORIGIN: APP_ORIGIN } })
})
afterAll(() => server.close())

const canvasesOf = async (user: TestUser) =>
  (
    await server.http.send<{ canvases: CanvasForUser[] }>({
      method: 'GET',
      url: '/api/canvases',
      token: user.token,
    })
  ).body.canvases

const createWith = (user: TestUser, auth: 'cookie' | 'bearer', headers: Record<string, string>) =>
  server.http.send({
    method: 'POST',
    url: '/api/canvases',
    json: { name: 'csrf' },
    headers,
    ...(auth === 'cookie' ? { sessionCookie: user.token } : { token: user.token }),
  })

describe('CSRF [A4]', () => {
  it.each([
    ['a foreign Origin', { origin: EVIL_ORIGIN }],
    ['no Origin', {}],
    ['Origin null', { origin: 'null' }],
    ['our host on another port', { origin: 'http://127.0.0.1:1' }],
    ['Sec-Fetch-Site cross-site and no Origin', { 'sec-fetch-site': 'cross-site' }],
  ])('[A4] when a cookie request comes with %s then 403 and nothing is written', async (_case, headers) => {
    const user = await registerUser(server.http)
    expectError(await createWith(user, 'cookie', headers), 403, 'forbidden')
    expect(await canvasesOf(user)).toEqual([])
  })

  it('[A4] when a cookie request comes from our own origin then it is allowed', async () => {
    const user = await registerUser(server.http)
    const res = await createWith(user, 'cookie', { origin: server.baseUrl })
    expect(res.status, res.text).toBe(201)
    expect(await canvasesOf(user)).toHaveLength(1)
  })

  it('[A4] when a Bearer request has no Origin then it is allowed (API clients)', async () => {
    const user = await registerUser(server.http)
    const res = await createWith(user, 'bearer', {})
    expect(res.status, res.text).toBe(201)
  })

  it('[A4] when a Bearer request has a foreign Origin then 403 all the same', async () => {
    const user = await registerUser(server.http)
    expectError(await createWith(user, 'bearer', { origin: EVIL_ORIGIN }), 403, 'forbidden')
  })

  it('[A4] when a cookie request comes from CORS_ORIGIN then it is allowed, with CORS headers', async () => {
    const user = await registerUser(server.http)
    const res = await createWith(user, 'cookie', { origin: APP_ORIGIN })
    expect(res.status, res.text).toBe(201)
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN)
    expect(res.headers['access-control-allow-credentials']).toBe('true')
  })

  const UNSAFE: [string, (s: Awaited<ReturnType<typeof canvasWithRoles>>) => ApiRequest][] = [
    [
      'POST /api/register',
      () => ({
        method: 'POST',
        url: '/api/register',
        json: { email: uniqueEmail(), username: 'x', password: 'plum tree 1994' },
      }),
    ],
    [
      'POST /api/login',
      (s) => ({
        method: 'POST',
        url: '/api/login',
        json: { email: s.owner.email, password: s.owner.password },
      }),
    ],
    ['POST /api/logout', () => ({ method: 'POST', url: '/api/logout' })],
    ['POST /api/canvases', () => ({ method: 'POST', url: '/api/canvases', json: { name: 'x' } })],
    [
      'PATCH /api/canvases/:id',
      (s) => ({ method: 'PATCH', url: `/api/canvases/${s.canvas.id}`, json: { name: 'x' } }),
    ],
    ['DELETE /api/canvases/:id', (s) => ({ method: 'DELETE', url: `/api/canvases/${s.canvas.id}` })],
    [
      'POST /api/canvases/:id/members',
      (s) => ({
        method: 'POST',
        url: `/api/canvases/${s.canvas.id}/members`,
        json: { email: s.stranger.email, role: 'editor' },
      }),
    ],
    [
      'DELETE /api/canvases/:id/members/:userId',
      (s) => ({ method: 'DELETE', url: `/api/canvases/${s.canvas.id}/members/${s.editor.id}` }),
    ],
  ]
  it.each(UNSAFE)(
    '[A4] when %s comes with the cookie and a foreign Origin then 403 and nothing changes',
    async (_name, request) => {
      const s = await canvasWithRoles(server.http, 'Protected')
      const res = await server.http.send({
        ...request(s),
        sessionCookie: s.owner.token,
        headers: { origin: EVIL_ORIGIN },
      })
      expectError(res, 403, 'forbidden')
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
      expect(res.setCookies).toEqual([])
      // The list adds where the log stands (seq, editedAt) to the canvas as created: nothing edited.
      expect(await canvasesOf(s.owner)).toStrictEqual([{ ...s.canvas, seq: 0, editedAt: s.canvas.createdAt }])
      const members = await server.http.send<{ members: unknown[] }>({
        method: 'GET',
        url: `/api/canvases/${s.canvas.id}/members`,
        token: s.owner.token,
      })
      expect(members.body.members).toHaveLength(3)
    },
  )

  it('[A4] when a GET comes with the cookie from a foreign Origin then nothing changes and no CORS grant is given', async () => {
    const user = await registerUser(server.http)
    await createCanvas(server.http, user)
    const res = await server.http.send({
      method: 'GET',
      url: '/api/canvases',
      sessionCookie: user.token,
      headers: { origin: EVIL_ORIGIN },
    })
    expect(res.status).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('CORS', () => {
  const preflight = (origin: string, method: string) =>
    server.http.send({
      method: 'OPTIONS',
      url: '/api/canvases/some-id',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type',
      },
    })

  it.each(['POST', 'PATCH', 'DELETE'])(
    'when CORS_ORIGIN preflights %s then it is granted with credentials',
    async (method) => {
      const res = await preflight(APP_ORIGIN, method)
      expect(res.status).toBe(204)
      expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN)
      expect(res.headers['access-control-allow-credentials']).toBe('true')
      expect(res.headers['access-control-allow-methods']?.split(/,\s*/)).toContain(method)
    },
  )

  it('when another origin preflights then no CORS grant is given', async () => {
    const res = await preflight(EVIL_ORIGIN, 'POST')
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    expect(res.headers['access-control-allow-credentials']).toBeUndefined()
  })

  it('when CORS_ORIGIN renames a canvas with the cookie then 200 with CORS headers', async () => {
    const user = await registerUser(server.http)
    const canvas = await createCanvas(server.http, user)
    const res = await server.http.send({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      sessionCookie: user.token,
      headers: { origin: APP_ORIGIN },
      json: { name: 'from the app' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN)
  })

  it('when CORS_ORIGIN is unset then no cross-origin request gets a CORS grant', async () => {
    const s = await startTestServer()
    try {
      const res = await s.http.send({ method: 'GET', url: '/health', headers: { origin: APP_ORIGIN } })
      expect(res.status).toBe(200)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
    } finally {
      await s.close()
    }
  })
})

describe('security headers [A5]', () => {
  const RESPONSES: [string, () => Promise<ApiResponse>][] = [
    ['GET /health', () => server.http.send({ method: 'GET', url: '/health' })],
    ['GET /metrics', () => server.http.send({ method: 'GET', url: '/metrics' })],
    ['GET /api/session (401)', () => server.http.send({ method: 'GET', url: '/api/session' })],
    [
      'GET /api/canvases (200)',
      async () => {
        const user = await registerUser(server.http)
        return server.http.send({ method: 'GET', url: '/api/canvases', token: user.token })
      },
    ],
    [
      'POST /api/register (201)',
      () =>
        server.http.send({
          method: 'POST',
          url: '/api/register',
          json: { email: uniqueEmail(), username: uniqueEmail('h'), password: 'plum tree 1994' },
        }),
    ],
    ['POST /api/login (400)', () => server.http.send({ method: 'POST', url: '/api/login', json: {} })],
    ['GET /api/nope (404)', () => server.http.send({ method: 'GET', url: '/api/nope' })],
    ['GET /nope (the web app page)', () => server.http.send({ method: 'GET', url: '/nope' })],
  ]

  it.each(RESPONSES)(
    '[A5] when %s answers then CSP, nosniff, Referrer-Policy and a request id are set',
    async (_name, call) => {
      const res = await call()
      const csp = res.headers['content-security-policy'] ?? ''
      expect(csp).toContain("object-src 'none'")
      expect(csp).toContain("base-uri 'none'")
      expect(csp).toMatch(/frame-ancestors '(none|self)'/)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin')
      expect(res.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      )
      // HSTS only over TLS; these tests speak plain HTTP.
      expect(res.headers['strict-transport-security']).toBeUndefined()
    },
  )

  it.each(RESPONSES.filter(([name]) => !name.includes('web app')))(
    '[A5] when %s answers then its CSP lets nothing load or run under it',
    async (_name, call) => {
      expect((await call()).headers['content-security-policy']).toContain("default-src 'none'")
    },
  )

  it.each(RESPONSES.filter(([name]) => name.includes('/api/')))(
    '[A5] when %s answers then Cache-Control is no-store',
    async (_name, call) => {
      expect((await call()).headers['cache-control']).toBe('no-store')
    },
  )

  it('when a client sends its own x-request-id then the server still uses its own', async () => {
    const res = await server.http.send({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'client-chosen-id' },
    })
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('[W7] when the server listens then slow headers are cut off after 10 s, not Node’s 60 s', () => {
    expect(server.app.server.headersTimeout).toBe(10_000)
  })
})

describe('idle connections [W7]', () => {
  /** A raw TCP connection to the server; resolves when the server closes it, with how long that took. */
  function connectAndWaitForClose(baseUrl: string, send?: string): Promise<number> {
    const { hostname, port } = new URL(baseUrl)
    return new Promise((resolve, reject) => {
      const startedAt = Date.now()
      const socket = net.connect(Number(port), hostname, () => {
        if (send !== undefined) socket.write(send)
      })
      socket.on('data', () => {})
      socket.on('error', reject)
      socket.on('close', () => resolve(Date.now() - startedAt))
    })
  }

  it('when a connection sends nothing then the server closes it after headersTimeout, and serves others meanwhile', async () => {
    const s = await startTestServer()
    try {
      s.app.server.headersTimeout = 300
      const silent = connectAndWaitForClose(s.baseUrl)
      expect((await s.http.send({ method: 'GET', url: '/health' })).status).toBe(200)
      const closedAfterMs = await silent
      expect(closedAfterMs).toBeGreaterThanOrEqual(250)
      expect(closedAfterMs).toBeLessThan(5_000)
    } finally {
      await s.close()
    }
  })

  it('when a connection has made a request then the first-request limit no longer applies: it stays for keep-alive', async () => {
    const s = await startTestServer()
    try {
      s.app.server.headersTimeout = 300
      const { hostname, port } = new URL(s.baseUrl)
      const socket = net.connect(Number(port), hostname)
      const responses: string[] = []
      socket.on('data', (chunk: Buffer) => responses.push(chunk.toString()))
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
      await expect.poll(() => responses.join('')).toMatch(/^HTTP\/1.1 200/)
      // Well past the 300 ms first-request limit, inside Fastify's 72 s keep-alive timeout.
      await new Promise((resolve) => setTimeout(resolve, 900))
      expect(socket.destroyed).toBe(false)
      socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
      await expect.poll(() => responses.join('').match(/HTTP\/1.1 200/g)?.length).toBe(2)
      socket.destroy()
    } finally {
      await s.close()
    }
  })
})

describe('TLS behind a trusted proxy [A3] [A5]', () => {
  const login = (s: TestServer, user: TestUser, headers: Record<string, string>) =>
    s.inject.send({
      method: 'POST',
      url: '/api/login',
      json: { email: user.email, password: user.password },
      remoteAddress: '127.0.0.1',
      headers,
    })
  const attributes = (cookie: string | undefined) =>
    (cookie ?? '').split(';').map((part) => part.trim().toLowerCase())

  it('[A3] [A5] when a trusted proxy says X-Forwarded-Proto: https then every cookie is Secure and HSTS is sent, on JSON and on the page', async () => {
    const s = await startTestServer({ env: { TRUST_PROXY: '127.0.0.1' } })
    try {
      const user = await registerUser(s.http)
      const res = await login(s, user, { 'x-forwarded-proto': 'https' })
      expect(res.status, res.text).toBe(200)
      expect(res.setCookies).toHaveLength(2)
      for (const cookie of res.setCookies) expect(attributes(cookie)).toContain('secure')
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
      for (const url of ['/health', '/api/session', '/nope']) {
        const other = await s.inject.send({
          method: 'GET',
          url,
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-proto': 'https' },
        })
        expect(other.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains')
      }
      const logout = await s.inject.send({
        method: 'POST',
        url: '/api/logout',
        token: res.body === undefined ? '' : (res.body as { sessionId: string }).sessionId,
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-proto': 'https' },
      })
      expect(attributes(logout.setCookies[0])).toContain('secure')
    } finally {
      await s.close()
    }
  })

  it('[A3] [A5] when X-Forwarded-Proto comes from a peer that is not trusted (or TRUST_PROXY is unset) then no Secure and no HSTS: plain HTTP stays plain', async () => {
    for (const env of [{}, { TRUST_PROXY: '10.0.0.1' }]) {
      const s = await startTestServer({ env })
      try {
        const user = await registerUser(s.http)
        const res = await login(s, user, { 'x-forwarded-proto': 'https' })
        expect(res.status).toBe(200)
        for (const cookie of res.setCookies) expect(attributes(cookie)).not.toContain('secure')
        expect(res.headers['strict-transport-security']).toBeUndefined()
      } finally {
        await s.close()
      }
    }
  })
})

describe('Host pinning [A4]', () => {
  const PUBLIC = 'https://canvas.example.com'
  let pinned: TestServer
  beforeAll(async () => {
    pinned = await startTestServer({ env: { PUBLIC_URL: PUBLIC, CORS_ORIGIN: APP_ORIGIN } })
  })
  afterAll(() => pinned.close())
  const get = (url: string, host: string, extra: Record<string, string> = {}) =>
    pinned.inject.send({ method: 'GET', url, headers: { host, ...extra } })

  it.each(['evil.example', 'canvas.example.com.evil.example', 'canvas.example.org', '192.0.2.1:5000'])(
    '[A4] when PUBLIC_URL pins the origin and a request says Host: %s then 400 naming headers.host, with the usual headers',
    async (host) => {
      const res = await get('/api/session', host)
      expectError(res, 400, 'invalid_input', 'headers.host')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.text).not.toContain(host)
    },
  )

  it.each([
    'canvas.example.com',
    'CANVAS.example.com:443',
    'app.example.com',
    '127.0.0.1:5000',
    'localhost',
    '[::1]:8080',
  ])('[A4] when PUBLIC_URL pins the origin and Host is %s then it is served', async (host) => {
    expect((await get('/api/session', host)).status).toBe(401)
  })

  it('[A4] when the Host is unknown then GET /health still answers (load balancers probe by address)', async () => {
    expect((await get('/health', '10.0.0.12:5000')).status).toBe(200)
  })

  it('[A4] when a WebSocket upgrade names an unknown Host then it is refused before 101', async () => {
    const { port } = new URL(pinned.baseUrl)
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'GET /ws/some-canvas HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        )
      })
      let data = ''
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
      socket.on('close', () => resolve(data))
      socket.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1.1 400 /)
    expect(reply).toContain('"field":"headers.host"')
  })

  it('[A4] when a trusted proxy forwards X-Forwarded-Host then that is the Host checked', async () => {
    const s = await startTestServer({ env: { PUBLIC_URL: PUBLIC, TRUST_PROXY: '127.0.0.1' } })
    try {
      const send = (forwardedHost: string) =>
        s.inject.send({
          method: 'GET',
          url: '/api/session',
          remoteAddress: '127.0.0.1',
          headers: { host: '127.0.0.1:5000', 'x-forwarded-host': forwardedHost },
        })
      expect((await send('canvas.example.com')).status).toBe(401)
      expectError(await send('evil.example'), 400, 'invalid_input', 'headers.host')
    } finally {
      await s.close()
    }
  })

  it('[A4] when neither PUBLIC_URL nor CORS_ORIGIN is set then any Host is served (nothing pins the origin)', async () => {
    const s = await startTestServer()
    try {
      const res = await s.inject.send({
        method: 'GET',
        url: '/api/session',
        headers: { host: 'anything.example' },
      })
      expect(res.status).toBe(401)
    } finally {
      await s.close()
    }
  })
})

describe('metrics access [A5]', () => {
  const TOKEN = 'metrics-token-0123456789'

  it('[A5] when METRICS_TOKEN is set then GET /metrics needs it as a Bearer token: 401 without or with another', async () => {
    const s = await startTestServer({ env: { METRICS_TOKEN: TOKEN } })
    try {
      const refused: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong-token-0123456789' },
        { authorization: TOKEN },
      ]
      for (const headers of refused) {
        const res = await s.http.send({ method: 'GET', url: '/metrics', headers })
        expectError(res, 401, 'unauthorized')
        expect(res.text).not.toContain('http_request_duration_seconds')
      }
      const ok = await s.http.send({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${TOKEN}` },
      })
      expect(ok.status).toBe(200)
      expect(ok.text).toContain('# TYPE')
    } finally {
      await s.close()
    }
  })

  it('[A5] when METRICS_PORT is set then the main port has no /metrics and the metrics listener serves it', async () => {
    const s = await startTestServer({ env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } })
    const metricsApp = await buildMetricsApp(s.deps)
    try {
      expectError(await s.http.send({ method: 'GET', url: '/metrics' }), 404, 'not_found')
      await metricsApp.listen({ host: '127.0.0.1', port: 0 })
      const address = metricsApp.server.address()
      if (address === null || typeof address === 'string') throw new Error('no port')
      const metrics = fetchClient(`http://127.0.0.1:${address.port}`)
      expectError(await metrics.send({ method: 'GET', url: '/metrics' }), 401, 'unauthorized')
      const ok = await metrics.send({ method: 'GET', url: '/metrics', token: TOKEN })
      expect(ok.status).toBe(200)
      expect(ok.text).toContain('# TYPE')
      expect(ok.headers['x-content-type-options']).toBe('nosniff')
      expectError(await metrics.send({ method: 'GET', url: '/api/session' }), 404, 'not_found')
    } finally {
      await metricsApp.close()
      await s.close()
    }
  })
})

import { describe, expect, it } from 'vitest'
import { expectError } from '../support/expectError.js'
import { registerUser } from '../support/fixtures.js'
import { startTestServer } from '../support/startTestServer.js'

describe('GET /health', () => {
  it('when the database answers then 200 with the contract body', async () => {
    const s = await startTestServer()
    try {
      s.clock.advance(1_999)
      const res = await s.http.send({ method: 'GET', url: '/health' })
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(res.body).toStrictEqual({
        status: 'ok',
        service: 'collabcanvas',
        timestamp: Math.floor(s.clock.now() / 1000),
        checks: { database: 'ok', bus: 'ok' },
      })
    } finally {
      await s.close()
    }
  })

  it('when the database is closed then 503 degraded, and API calls answer 503 storage_unavailable, not 500', async () => {
    const s = await startTestServer()
    try {
      const user = await registerUser(s.http)
      // Closes the SQLite handle under the running app, as a vanished database would look.
      await s.deps.close()
      const res = await s.http.send({ method: 'GET', url: '/health' })
      expect(res.status).toBe(503)
      expect(res.body).toStrictEqual({
        status: 'degraded',
        service: 'collabcanvas',
        timestamp: Math.floor(s.clock.now() / 1000),
        checks: { database: 'unavailable', bus: 'ok' },
      })
      expectError(
        await s.http.send({ method: 'GET', url: '/api/session', token: user.token }),
        503,
        'storage_unavailable',
      )
      expectError(
        await s.http.send({
          method: 'POST',
          url: '/api/login',
          json: { email: user.email, password: user.password },
        }),
        503,
        'storage_unavailable',
      )
    } finally {
      await s.close()
    }
  })
})

describe('GET /metrics', () => {
  it('when no route matches then the duration is counted under route="unmatched", not under the URL', async () => {
    const s = await startTestServer()
    try {
      expect((await s.http.send({ method: 'GET', url: '/api/no-such-route' })).status).toBe(404)
      await expect
        .poll(async () => (await s.http.send({ method: 'GET', url: '/metrics' })).text)
        .toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/)
      const text = (await s.http.send({ method: 'GET', url: '/metrics' })).text
      expect(text).not.toContain('no-such-route')
    } finally {
      await s.close()
    }
  })

  it('when requests were served then http_request_duration_seconds counts them by route and status', async () => {
    const s = await startTestServer()
    try {
      await s.http.send({ method: 'GET', url: '/health' })
      await s.http.send({ method: 'GET', url: '/api/session' })
      // The histogram is updated on response end, which may land just after the client has read it.
      await expect
        .poll(async () => (await s.http.send({ method: 'GET', url: '/metrics' })).text)
        .toMatch(
          /http_request_duration_seconds_count\{method="GET",route="\/api\/session",status_code="401"\} 1/,
        )
      const res = await s.http.send({ method: 'GET', url: '/metrics' })
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      expect(res.text).toContain('# TYPE http_request_duration_seconds histogram')
      expect(res.text).toMatch(
        /http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} 1/,
      )
      expect(res.text).toMatch(
        /http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/health",status_code="200"\} 1/,
      )
    } finally {
      await s.close()
    }
  })
})

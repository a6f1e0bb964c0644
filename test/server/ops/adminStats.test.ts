import { afterEach, describe, expect, it } from 'vitest'
import type { AdminStatsBody, InstanceSample } from '../../../src/protocol/adminStats.js'
import { ConfigError, loadConfig } from '../../../src/server/config.js'
import { aggregateSamples } from '../../../src/server/ops/aggregateSamples.js'
import { windowQuantile } from '../../../src/server/ops/histogramQuantile.js'
import { LIVE_STATS_INTERVAL_MS } from '../../../src/server/ops/opsMonitor.js'
import { runCli } from '../../support/cli.js'
import { systemClock } from '../../support/clock.js'
import { registerUser, type TestUser } from '../../support/fixtures.js'
import { startTestServer, type TestServer } from '../../support/startTestServer.js'
import { tempDir } from '../../support/tempDir.js'
import { WsTestClient } from '../../support/wsTestClient.js'

// [OPS4] The numbers behind /admin: window quantiles from histogram buckets, the sum over
// instances, and the endpoint aggregating every instance that shares the database.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('windowQuantile', () => {
  const b = (counts: number[], bounds = [0.001, 0.005, 0.01, Infinity]) =>
    bounds.map((le, i) => ({ le, count: counts[i] ?? 0 }))

  it('[OPS4] when observations fell between two readings, then quantiles interpolate inside the bucket of the window only', () => {
    const before = b([100, 100, 100, 100])
    // In the window: 10 in (0.001, 0.005], 10 in (0.005, 0.01].
    const after = b([100, 110, 120, 120])
    expect(windowQuantile(before, after, 0.5)).toBeCloseTo(0.005)
    expect(windowQuantile(before, after, 0.25)).toBeCloseTo(0.003)
    expect(windowQuantile(before, after, 0.99)).toBeCloseTo(0.0099)
  })

  it('[OPS4] when nothing was observed, then undefined; past the last finite bucket, that bucket’s bound', () => {
    expect(windowQuantile(b([5, 5, 5, 5]), b([5, 5, 5, 5]), 0.5)).toBeUndefined()
    expect(windowQuantile([], b([0, 0, 0, 4]), 0.99)).toBe(0.01)
    expect(windowQuantile([], b([4, 4, 4, 4]), 0.5)).toBeCloseTo(0.0005)
  })
})

const sample = (overrides: Partial<InstanceSample>): InstanceSample => ({
  instanceId: 'i',
  at: 0,
  windowSec: 2,
  connections: 0,
  rooms: 0,
  messagesInPerSec: 0,
  framesOutPerSec: 0,
  ackMs: null,
  fanOutMs: null,
  rssBytes: 0,
  heapUsedBytes: 0,
  eventLoopLagP99Ms: 0,
  eventLoopUtilization: 0,
  ...overrides,
})

describe('aggregateSamples', () => {
  it('[OPS4] when instances are summed, then counts and rates add up and latencies take the worst instance', () => {
    const total = aggregateSamples([
      sample({
        connections: 3,
        rooms: 1,
        messagesInPerSec: 10.5,
        ackMs: { p50: 1, p95: 2, p99: 9 },
        eventLoopLagP99Ms: 4,
      }),
      sample({
        connections: 4,
        rooms: 2,
        messagesInPerSec: 1,
        ackMs: { p50: 2, p95: 3, p99: 5 },
        eventLoopLagP99Ms: 12,
      }),
      sample({ connections: 0 }),
    ])
    expect(total).toMatchObject({
      instances: 3,
      connections: 7,
      rooms: 3,
      messagesInPerSec: 11.5,
      ackMs: { p50: 2, p95: 3, p99: 9 },
      fanOutMs: null,
      eventLoopLagP99Ms: 12,
    })
    expect(aggregateSamples([])).toMatchObject({ instances: 0, connections: 0, ackMs: null })
  })
})

describe('ADMIN_EMAILS and STATS_LOG_INTERVAL_SEC', () => {
  it('[OPS4] when ADMIN_EMAILS lists emails, then they are trimmed and lower-cased; a non-email is refused naming the variable', () => {
    expect(loadConfig({ ADMIN_EMAILS: ' Ops@Example.com,b@c.d ' }).adminEmails).toEqual([
      'ops@example.com',
      'b@c.d',
    ])
    expect(loadConfig({}).adminEmails).toEqual([])
    expect(() => loadConfig({ ADMIN_EMAILS: 'ops@example.com, not an email' })).toThrow(ConfigError)
    expect(() => loadConfig({ ADMIN_EMAILS: 'a@b.c,,' })).toThrow(/ADMIN_EMAILS/)
    expect(loadConfig({}).statsLogIntervalSec).toBe(60)
    expect(loadConfig({ STATS_LOG_INTERVAL_SEC: '0' }).statsLogIntervalSec).toBe(0)
    expect(() => loadConfig({ STATS_LOG_INTERVAL_SEC: '-1' })).toThrow(/STATS_LOG_INTERVAL_SEC/)
  })
})

describe('GET /api/admin/stats across instances', () => {
  it('[OPS4] when two instances share one database and each holds sockets, then either instance answers with both, summed, and `collabcanvas stats` prints the same totals', async () => {
    const dir = tempDir('collabcanvas-admin-stats-')
    cleanups.push(() => dir.remove())
    const env = { ADMIN_EMAILS: 'ops-stats@example.test' }
    const servers: TestServer[] = []
    for (let i = 0; i < 2; i++) {
      const server = await startTestServer({ dataDir: dir.path, env, clock: systemClock() })
      cleanups.push(() => server.close())
      servers.push(server)
    }
    const [a, b] = servers as [TestServer, TestServer]
    const operator = await registerUser(a.http, { email: 'ops-stats@example.test' })
    const users: TestUser[] = [
      await registerUser(a.http),
      await registerUser(a.http),
      await registerUser(a.http),
    ]
    const canvases = await Promise.all(
      users.map(
        async (u) =>
          (
            await a.http.send<{ canvas: { id: string } }>({
              method: 'POST',
              url: '/api/canvases',
              token: u.token,
              json: { name: 'c' },
            })
          ).body.canvas.id,
      ),
    )
    // One socket on a, two on b.
    const sockets = await Promise.all(
      users.map((u, i) =>
        WsTestClient.connect((i === 0 ? a : b).baseUrl, canvases[i] as string, { token: u.token }),
      ),
    )
    cleanups.push(() => sockets.forEach((s) => s.close()))

    const stats = async (server: TestServer) =>
      (
        await server.http.send<AdminStatsBody>({
          method: 'GET',
          url: '/api/admin/stats',
          token: operator.token,
        })
      ).body
    // Samples arrive every LIVE_STATS_INTERVAL_MS: wait for the ones taken after the sockets opened.
    await expect
      .poll(async () => (await stats(b)).total, { timeout: 5 * LIVE_STATS_INTERVAL_MS, interval: 200 })
      .toMatchObject({ instances: 2, connections: 3, rooms: 3 })
    const fromA = await stats(a)
    expect(fromA.total).toMatchObject({ instances: 2, connections: 3 })
    expect(fromA.instances.map((i) => i.connections).sort()).toEqual([1, 2])
    expect(fromA.queue).toEqual({
      pendingEvents: 0,
      oldestPendingAgeSec: null,
      webhookPending: 0,
      webhookFailing: 0,
      webhookDead: 0,
    })
    expect(JSON.stringify(fromA)).not.toContain(users[0]?.email)

    const cli = await runCli(['stats'], { DATA_DIR: dir.path })
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({
      total: { instances: 2, connections: 3 },
      queue: { pending: 0 },
    })
  }, 30_000)
})

import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOGIN_RULES } from '../../src/auth/loginThrottle.js'
import { DEVICE_COOKIE } from '../../src/server/plugins/authentication.js'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { startCluster, type Cluster, type ClusterBus } from '../support/cluster.js'
import { sharedCanvas, canvasState } from '../support/sharedCanvas.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { WsTestClient, type Received } from '../support/wsTestClient.js'

// Two `collabcanvas serve` processes of one deployment, a client on each (docs/scaling.md):
// what happens on one instance reaches the sockets of the other through the bus [BUS1–BUS8].

/** Short presence timings, so a killed instance's users expire within the test [BUS6]. */
const PRESENCE_EXPIRY_MS = 1_200
const ENV = { BUS_PRESENCE_HEARTBEAT_MS: '300', BUS_PRESENCE_EXPIRY_MS: String(PRESENCE_EXPIRY_MS) }

describe.each<ClusterBus>(['sqlite', 'redis'])('BUS=%s with two instances', (bus) => {
  let cluster: Cluster
  let one: ApiClient
  let two: ApiClient
  beforeAll(async () => {
    cluster = await startCluster({ bus, instances: 2, nginx: false, env: ENV })
    one = fetchClient(cluster.instances[0]?.baseUrl ?? '')
    two = fetchClient(cluster.instances[1]?.baseUrl ?? '')
  }, 90_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  const urlOf = (index: number) => cluster.instances[index]?.baseUrl ?? ''

  it('[BUS1] when an op is committed on one instance, then a socket on the other gets it with the same seq, and both /state agree', async () => {
    const { owner, members, canvas } = await sharedCanvas(one, ['editor'])
    const editor = members[0]
    if (!editor) throw new Error('no editor')
    const here = await WsTestClient.connect(urlOf(0), canvas.id, { token: owner.token })
    const there = await WsTestClient.connect(urlOf(1), canvas.id, { token: editor.token })
    here.send({ type: 'object-create', opId: 'c1', object: { id: 'r1', type: 'rect', x: 1 } })
    const { seq } = await here.waitForAck('c1')
    const seen = await there.waitFor((m) => m.type === 'object-created')
    expect(seen).toMatchObject({ seq, object: { id: 'r1', x: 1 } })
    // And back: the other instance's op reaches the first one's socket.
    there.send({ type: 'object-update', opId: 'u1', id: 'r1', changes: { x: 9 } })
    const ack = await there.waitForAck('u1')
    expect(await here.waitFor((m) => m.type === 'object-updated')).toMatchObject({ seq: ack.seq, id: 'r1' })
    const [a, b] = await Promise.all([canvasState(one, canvas.id, owner), canvasState(two, canvas.id, owner)])
    expect(b).toEqual(a)
    expect(a.objects).toMatchObject([{ id: 'r1', x: 9 }])
    here.close()
    there.close()
  })

  it('[BUS5] when users join on different instances, then each sees the other present and their cursors', async () => {
    const { owner, members, canvas } = await sharedCanvas(one, ['editor'])
    const editor = members[0]
    if (!editor) throw new Error('no editor')
    const here = await WsTestClient.connect(urlOf(0), canvas.id, { token: owner.token })
    const there = await WsTestClient.connect(urlOf(1), canvas.id, { token: editor.token })
    // The later joiner either lists the owner in auth-success or hears of them just after.
    const listed = there.authSuccess?.users.some((u) => u.userId === owner.id) ?? false
    if (!listed) await there.waitFor((m) => m.type === 'user-connected' && m.userId === owner.id)
    await here.waitFor((m) => m.type === 'user-connected' && m.userId === editor.id)
    here.send({ type: 'cursor', x: 12, y: 34 })
    await there.waitFor(
      (m) => m.type === 'cursors' && m.cursors.some((c) => c.userId === owner.id && c.x === 12 && c.y === 34),
    )
    // Leaving on one instance is seen on the other.
    there.close()
    await here.waitFor((m) => m.type === 'user-disconnected' && m.userId === editor.id)
    here.close()
  })

  it('[BUS5][PROTO19] when a user pans on one instance, then a socket on the other gets the viewport, and a later joiner there gets it after its welcome', async () => {
    const { owner, members, canvas } = await sharedCanvas(one, ['editor'])
    const editor = members[0]
    if (!editor) throw new Error('no editor')
    const here = await WsTestClient.connect(urlOf(0), canvas.id, { token: owner.token })
    const there = await WsTestClient.connect(urlOf(1), canvas.id, { token: editor.token })
    await here.waitFor((m) => m.type === 'user-connected' && m.userId === editor.id)
    here.send({ type: 'viewport', x: 12, y: 34, width: 1280, height: 800 })
    const ofOwner = (m: Received) =>
      m.type === 'viewports' && m.viewports.some((v) => v.userId === owner.id && v.x === 12 && v.y === 34)
    await there.waitFor(ofOwner)
    const later = await WsTestClient.connect(urlOf(1), canvas.id, { token: editor.token })
    await later.waitFor(ofOwner)
    here.close()
    there.close()
    later.close()
  })

  it('[BUS2] when the owner renames the canvas and removes a member through one instance, then sockets on the other are told', async () => {
    const { owner, members, canvas } = await sharedCanvas(one, ['editor'])
    const editor = members[0]
    if (!editor) throw new Error('no editor')
    const watcher = await WsTestClient.connect(urlOf(1), canvas.id, { token: owner.token })
    const removed = await WsTestClient.connect(urlOf(1), canvas.id, { token: editor.token })
    const renamed = await one.send({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
      json: { name: 'Renamed on one' },
    })
    expect(renamed.status).toBe(200)
    expect(await watcher.waitFor((m) => m.type === 'canvas-updated')).toMatchObject({
      canvas: { id: canvas.id, name: 'Renamed on one' },
    })
    const res = await one.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}/members/${editor.id}`,
      token: owner.token,
    })
    expect(res.status).toBeLessThan(300)
    await removed.waitForClose()
    watcher.close()
  })

  it('[BUS8] when a user logs out through one instance, then their socket on the other is closed', async () => {
    const { owner, canvas } = await sharedCanvas(one, [])
    const socket = await WsTestClient.connect(urlOf(1), canvas.id, { token: owner.token })
    const res = await one.send({ method: 'POST', url: '/api/logout', token: owner.token })
    expect(res.status).toBeLessThan(300)
    await socket.waitForClose()
  })

  if (bus === 'sqlite') {
    it('[SQ4] when a live instance lags behind the queue, then /health says degraded (warning: 200, critical: 503) and /metrics shows the backlog', async () => {
      const db = new Database(path.join(cluster.dataDir, SQLITE_FILE_NAME))
      db.pragma('busy_timeout = 5000')
      try {
        const insert = db.prepare(
          "INSERT INTO message_queue (canvas_id, message_type, payload, created_at, expires_at) VALUES ('lagging', 'hello', '{}', ?, ?)",
        )
        const lagging = db.prepare(
          "INSERT INTO canvas_watermarks VALUES ('lagging', 'slow-instance', 0, ?) ON CONFLICT DO UPDATE SET updated_at = excluded.updated_at",
        )
        const now = Date.now()
        db.transaction(() => {
          for (let i = 0; i < 1_000; i++) insert.run(now, now + 60_000)
        })()
        lagging.run(Date.now())
        const health = async () => {
          const res = await two.send<{ status: string; checks: { bus: string } }>({
            method: 'GET',
            url: '/health',
          })
          return { code: res.status, status: res.body.status, bus: res.body.checks.bus }
        }
        await expect.poll(health).toEqual({ code: 200, status: 'degraded', bus: 'warning' })
        const metrics = await scrapeMetrics(two)
        expect(metricValue(metrics, 'bus_queue_backlog_messages')).toBeGreaterThanOrEqual(1_000)
        expect(metricValue(metrics, 'bus_queue_messages')).toBeGreaterThanOrEqual(1_000)
        expect(metricValue(metrics, 'bus_poll_seconds_count')).toBeGreaterThan(0)
        insert.run(now - 31_000, now + 60_000)
        lagging.run(Date.now())
        await expect.poll(health).toEqual({ code: 503, status: 'degraded', bus: 'critical' })
        db.prepare("DELETE FROM canvas_watermarks WHERE server_instance_id = 'slow-instance'").run()
        await expect.poll(health).toEqual({ code: 200, status: 'ok', bus: 'ok' })
      } finally {
        db.close()
      }
    })
  }

  it('[A2] when failed logins alternate between the instances, then the account is throttled on both after five', async () => {
    const { owner } = await sharedCanvas(one, [])
    const attempt = (api: ApiClient) =>
      api.send({
        method: 'POST',
        url: '/api/login',
        json: { email: owner.email, password: 'wrong password!' },
      })
    for (let i = 0; i < LOGIN_RULES.accountAndIp.capacity; i++) {
      expect((await attempt(i % 2 === 0 ? one : two)).status).toBe(401)
    }
    expect((await attempt(one)).status).toBe(429)
    expect((await attempt(two)).status).toBe(429)
  })

  it('[A2] when a browser got its device cookie from one instance, then the other honours it: the user signs in there while their account+address is locked', async () => {
    const { owner } = await sharedCanvas(one, [])
    const login = (api: ApiClient, password: string, cookie?: string) =>
      api.send({
        method: 'POST',
        url: '/api/login',
        json: { email: owner.email, password },
        ...(cookie ? { headers: { cookie } } : {}),
      })
    const signedIn = await login(one, owner.password)
    expect(signedIn.status).toBe(200)
    const deviceCookie = signedIn.setCookies
      .map((c) => c.split(';')[0] ?? '')
      .find((c) => c.startsWith(`${DEVICE_COOKIE}=`))
    expect(deviceCookie).toBeDefined()
    // A guesser from the same address locks the account+address bucket, on the other instance.
    for (let i = 0; i < LOGIN_RULES.accountAndIp.capacity; i++) {
      expect((await login(two, 'wrong password!')).status).toBe(401)
    }
    expect((await login(two, owner.password)).status).toBe(429)
    // The browser with the cookie from instance one is counted on its own bucket on instance two.
    expect((await login(two, owner.password, deviceCookie)).status).toBe(200)
  })

  // Last: it kills instance 0.
  it(`[BUS6] when an instance is SIGKILLed, then its users disappear for the others within the presence expiry (${PRESENCE_EXPIRY_MS} ms + a heartbeat)`, async () => {
    const { owner, members, canvas } = await sharedCanvas(one, ['editor'])
    const editor = members[0]
    if (!editor) throw new Error('no editor')
    await WsTestClient.connect(urlOf(0), canvas.id, { token: owner.token })
    const survivor = await WsTestClient.connect(urlOf(1), canvas.id, { token: editor.token })
    const listed = survivor.authSuccess?.users.some((u) => u.userId === owner.id) ?? false
    if (!listed) await survivor.waitFor((m) => m.type === 'user-connected' && m.userId === owner.id)
    await cluster.kill(0)
    const killedAt = Date.now()
    await survivor.waitFor((m) => m.type === 'user-disconnected' && m.userId === owner.id, 10_000)
    expect(Date.now() - killedAt).toBeLessThan(PRESENCE_EXPIRY_MS + 2 * 300 + 1_000)
    survivor.close()
  })
})

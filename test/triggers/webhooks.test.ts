import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { systemClock } from '../support/clock.js'
import { expectError } from '../support/expectError.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { generateKey, postEvent, withKey, type TestKey } from '../support/triggerFixtures.js'
import { eventOf, WebhookReceiver, type ReceivedWebhook } from '../support/webhookReceiver.js'

// Webhook delivery against real local receivers: signatures, retries, dead letter, replay, 410,
// per-endpoint order, secret rotation. Short retry waits; ALLOW_PRIVATE_WEBHOOKS=true because the
// receivers are on loopback (the SSRF tests, S1–S4, run without it).

const RETRY_DELAYS_MS = [100, 200, 300]
let server: TestServer
const receivers: WebhookReceiver[] = []
beforeAll(async () => {
  server = await startTestServer({
    clock: systemClock(),
    env: { ALLOW_PRIVATE_WEBHOOKS: 'true', WEBHOOK_TIMEOUT_MS: '1000' },
    triggers: { deliveryPolicy: { retryDelaysMs: RETRY_DELAYS_MS, jitter: 0 }, webhookPollMs: 50 },
  })
})
afterAll(async () => {
  await server.close()
  for (const r of receivers) await r.close()
})

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start()
  receivers.push(r)
  return r
}

async function ownerWithKey() {
  const user = await registerUser(server.http)
  const key = await generateKey(server.http, user)
  await server.deps.triggers.store.setKeyTier(key.keyId, 'enterprise')
  return { user, key }
}

async function subscribe(key: TestKey, url: string, eventTypes?: string[]) {
  const res = await server.http.send<{ webhook: { id: string; secret: string } }>(
    withKey(key, {
      method: 'POST',
      url: '/api/webhooks',
      json: { url, ...(eventTypes ? { eventTypes } : {}) },
    }),
  )
  expect(res.status, res.text).toBe(201)
  return res.body.webhook
}

interface DeliveryLog {
  id: string
  status: string
  attempts: number
  lastError: string | null
  attemptLog: { at: string; statusCode: number | null; error: string | null }[]
}

async function deliveries(key: TestKey, eventId: string): Promise<DeliveryLog[]> {
  const res = await server.http.send<{ deliveries: DeliveryLog[] }>(
    withKey(key, { method: 'GET', url: `/api/events/${eventId}/deliveries` }),
  )
  expect(res.status, res.text).toBe(200)
  return res.body.deliveries
}

async function webhooks(key: TestKey) {
  const res = await server.http.send<{
    webhooks: { id: string; enabled: boolean; disabledReason: string | null }[]
  }>(withKey(key, { method: 'GET', url: '/api/webhooks' }))
  return res.body.webhooks
}

function headersOf(hook: ReceivedWebhook): Record<string, string> {
  return {
    'webhook-id': String(hook.headers['webhook-id']),
    'webhook-timestamp': String(hook.headers['webhook-timestamp']),
    'webhook-signature': String(hook.headers['webhook-signature']),
  }
}

describe('webhooks', () => {
  it('[S5] when an event is delivered, then it verifies with standardwebhooks and the endpoint secret; a wrong secret, a tampered body, an old timestamp fail', async () => {
    const r = await receiver()
    const { key } = await ownerWithKey()
    const hook = await subscribe(key, `${r.url}/hook`)
    expect(hook.secret).toMatch(/^whsec_/)
    const id = await postEvent(server.http, key, { type: 'form.answered', payload: { answer: 'yes' } })
    await r.waitUntil((got) => got.length === 1)
    const [got] = r.received as [ReceivedWebhook]
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.headers['accept-encoding']).toBe('identity')
    expect(new Webhook(hook.secret).verify(got.body, headersOf(got))).toMatchObject({
      id,
      type: 'form.answered',
      payload: { answer: 'yes' },
    })
    const other = await subscribe(key, `${r.url}/other`)
    expect(() => new Webhook(other.secret).verify(got.body, headersOf(got))).toThrow()
    expect(() => new Webhook(hook.secret).verify(got.body.replace('yes', 'no'), headersOf(got))).toThrow()
    const old = { ...headersOf(got), 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 301) }
    expect(() => new Webhook(hook.secret).verify(got.body, old)).toThrow(/timestamp/i)
    await expect.poll(async () => (await deliveries(key, id)).map((d) => d.status)).toEqual(['delivered'])
  })

  it('[S5] when a delivery is retried after 500s and a timeout, then webhook-id stays, the timestamp is new each time, and the log shows every attempt', async () => {
    const r = await receiver()
    const { key } = await ownerWithKey()
    const hook = await subscribe(key, r.url)
    let n = 0
    r.respond = (_req, res) => {
      n += 1
      if (n === 1) return 'hold' // no answer: the 1 s timeout
      if (n === 2) return void res.writeHead(500).end()
      if (n === 3) return void res.writeHead(503).end()
      res.writeHead(204).end()
    }
    const id = await postEvent(server.http, key, { type: 'x', payload: {} })
    await r.waitUntil((got) => got.length === 4, 30_000)
    const ids = r.received.map((h) => h.headers['webhook-id'])
    expect(new Set(ids)).toEqual(new Set([id]))
    const stamps = r.received.map((h) => Number(h.headers['webhook-timestamp']))
    // Each attempt signs anew: verification holds for every one of them.
    for (const h of r.received)
      expect(new Webhook(hook.secret).verify(h.body, headersOf(h))).toMatchObject({ id })
    expect(stamps[3]).toBeGreaterThan(stamps[0] as number)
    await expect.poll(async () => (await deliveries(key, id))[0]?.status).toBe('delivered')
    const [log] = await deliveries(key, id)
    expect(log?.attemptLog.map((a) => a.statusCode)).toEqual([null, 500, 503, 204])
    expect(log?.attemptLog[0]?.error).toMatch(/no answer within 1000 ms/)
  })

  it('when every attempt fails, then the delivery is dead, the endpoint disabled with the reason; replay delivers it and enables the endpoint', async () => {
    const r = await receiver()
    const { key } = await ownerWithKey()
    await subscribe(key, r.url)
    r.respond = (_req, res) => void res.writeHead(500).end()
    const id = await postEvent(server.http, key, { type: 'x', payload: { n: 1 } })
    await expect.poll(async () => (await deliveries(key, id))[0]?.status, { timeout: 20_000 }).toBe('dead')
    expect(r.received).toHaveLength(RETRY_DELAYS_MS.length + 1)
    const [endpoint] = await webhooks(key)
    expect(endpoint).toMatchObject({
      enabled: false,
      disabledReason: 'the last of 4 attempts failed (HTTP 500)',
    })
    // Disabled: events meanwhile are not queued for it (they stay in the inbox).
    const meanwhile = await postEvent(server.http, key, { type: 'x', payload: { n: 2 } })
    expect(await deliveries(key, meanwhile)).toEqual([])
    const stats = await server.http.send<{ dead: number; pending: number }>(
      withKey(key, { method: 'GET', url: '/api/queue/stats' }),
    )
    expect(stats.body).toMatchObject({ dead: 1, pending: 2 })
    r.respond = (_req, res) => void res.writeHead(200).end()
    const [dead] = await deliveries(key, id)
    const replay = await server.http.send(
      withKey(key, { method: 'POST', url: `/api/deliveries/${dead?.id}/replay` }),
    )
    expect(replay.status, replay.text).toBe(202)
    await expect
      .poll(async () => JSON.stringify(await deliveries(key, id)), { timeout: 5000 })
      .toContain('"delivered"')
    expect((await webhooks(key))[0]?.enabled).toBe(true)
    const later = await postEvent(server.http, key, { type: 'x', payload: { n: 3 } })
    await r.waitUntil((got) => got.filter((h) => eventOf(h).id === later).length === 1)
    const stranger = await ownerWithKey()
    expectError(
      await server.http.send(
        withKey(stranger.key, { method: 'POST', url: `/api/deliveries/${dead?.id}/replay` }),
      ),
      404,
      'not_found',
    )
  })

  it('when an endpoint answers 410 Gone, then it is disabled at once and gets nothing more', async () => {
    const r = await receiver()
    const { key } = await ownerWithKey()
    await subscribe(key, r.url)
    r.respond = (_req, res) => void res.writeHead(410).end()
    const id = await postEvent(server.http, key, { type: 'x', payload: {} })
    await expect.poll(async () => (await webhooks(key))[0]?.enabled).toBe(false)
    expect((await webhooks(key))[0]?.disabledReason).toBe('the endpoint answered 410 Gone')
    expect((await deliveries(key, id))[0]).toMatchObject({ status: 'dead', attempts: 1 })
    await postEvent(server.http, key, { type: 'x', payload: {} })
    const before = r.received.length
    // The worker polls every 50 ms: several rounds pass without a request.
    await expect
      .poll(async () => (await server.deps.triggers.stats(undefined)).pending, { timeout: 2000 })
      .toBeGreaterThan(0)
    expect(r.received.length).toBe(before)
  })

  it('when the first of a canvas’s events fails, then the endpoint gets none of the later ones before it: one canvas, one order', async () => {
    const r = await receiver()
    const { user, key } = await ownerWithKey()
    await subscribe(key, r.url, ['canvas.object.*'])
    const canvas = await createCanvas(server.http, user, 'Ordered')
    let failedFirst = false
    r.respond = (hook, res) => {
      if (!failedFirst) {
        failedFirst = true
        return void res.writeHead(500).end()
      }
      res.writeHead(200).end()
    }
    for (let i = 0; i < 6; i++) {
      const res = await server.http.send(
        withKey(key, {
          method: 'POST',
          url: `/api/canvases/${canvas.id}/objects`,
          json: { object: { type: 'rect', x: i } },
        }),
      )
      expect(res.status, res.text).toBe(201)
    }
    await r.waitUntil((got) => got.length === 7, 20_000)
    const seqs = r.received.map((h) => eventOf(h).payload.seq)
    expect(seqs).toEqual([1, 1, 2, 3, 4, 5, 6])
  })

  it('when a secret is rotated, then deliveries carry both signatures during the grace period, and each secret verifies', async () => {
    const r = await receiver()
    const { key } = await ownerWithKey()
    const hook = await subscribe(key, r.url)
    const rotated = await server.http.send<{ secret: string; previousSecretValidUntil: string }>(
      withKey(key, { method: 'POST', url: `/api/webhooks/${hook.id}/rotate-secret` }),
    )
    expect(rotated.status, rotated.text).toBe(200)
    expect(Date.parse(rotated.body.previousSecretValidUntil) - Date.now()).toBeGreaterThan(23 * 3600 * 1000)
    await postEvent(server.http, key, { type: 'x', payload: {} })
    await r.waitUntil((got) => got.length === 1)
    const [got] = r.received as [ReceivedWebhook]
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2)
    expect(new Webhook(rotated.body.secret).verify(got.body, headersOf(got))).toBeTruthy()
    expect(new Webhook(hook.secret).verify(got.body, headersOf(got))).toBeTruthy()
  })

  it('when endpoints are listed, deleted and configured, then secrets are not shown again and only the owner can delete', async () => {
    const r = await receiver()
    const { key } = await ownerWithKey()
    const config = await server.http.send<{ webhook: { id: string; secret: string } }>(
      withKey(key, {
        method: 'POST',
        url: '/api/webhook/config',
        json: { url: r.url, eventTypes: ['form.*'] },
      }),
    )
    expect(config.status, config.text).toBe(200)
    const again = await server.http.send<{ webhook: { id: string; secret: string; eventTypes: string[] } }>(
      withKey(key, { method: 'POST', url: '/api/webhook/config', json: { url: r.url } }),
    )
    expect(again.body.webhook).toMatchObject({
      id: config.body.webhook.id,
      secret: config.body.webhook.secret,
      eventTypes: [],
    })
    const list = await server.http.send(withKey(key, { method: 'GET', url: '/api/webhooks' }))
    expect(list.text).not.toContain(config.body.webhook.secret)
    const stranger = await ownerWithKey()
    expectError(
      await server.http.send(
        withKey(stranger.key, { method: 'DELETE', url: `/api/webhooks/${config.body.webhook.id}` }),
      ),
      404,
      'not_found',
    )
    const deleted = await server.http.send(
      withKey(key, { method: 'DELETE', url: `/api/webhooks/${config.body.webhook.id}` }),
    )
    expect(deleted.status).toBe(204)
    expect(await webhooks(key)).toEqual([])
    for (const json of [
      { url: 'not a url' },
      { url: r.url, eventTypes: ['bad type'] },
      { url: r.url, extra: 1 },
    ]) {
      const res = await server.http.send(withKey(key, { method: 'POST', url: '/api/webhooks', json }))
      expect(res.status, res.text).toBe(400)
    }
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient, type ApiClient } from '../support/apiClient.js'
import { runCli } from '../support/cli.js'
import { registerUser } from '../support/fixtures.js'
import { reportNumbers } from '../support/hardening.js'
import { seedFromEnv, seededRandom } from '../support/seededRandom.js'
import { tempDir } from '../support/tempDir.js'
import { generateKey, readInbox, withKey, type TestKey } from '../support/triggerFixtures.js'
import { startServerProcess, type ServerProcess } from '../support/triggerServerProcess.js'
import { eventOf, WebhookReceiver } from '../support/webhookReceiver.js'

// Durability of the Triggers API against SIGKILL: accepted events and pending webhook deliveries
// survive (issue 24, acceptance 4), and the worker's at-least-once delivery holds across a kill
// [S6]. Real server processes; needs the built CLI (npm run build; npm test builds first).

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const RETRY_DELAYS_MS = [200, 400, 800, 1600, 3200]
const JITTER = 0.2

async function setup(env: Record<string, string>) {
  const dir = tempDir('collabcanvas-trg-crash-')
  cleanups.push(() => dir.remove())
  const receiver = await WebhookReceiver.start()
  cleanups.push(() => receiver.close())
  const serverEnv = {
    ALLOW_PRIVATE_WEBHOOKS: 'true',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
    ...env,
  }
  const holder: { server: ServerProcess } = { server: await startServerProcess(dir.path, serverEnv) }
  cleanups.push(() => holder.server.kill())
  const api = () => fetchClient(holder.server.baseUrl)
  const owner = await registerUser(api())
  const key = await generateKey(api(), owner)
  const tier = await runCli(['keys', 'set-tier', key.keyId, 'enterprise'], {
    DATA_DIR: dir.path,
    LOG_LEVEL: 'silent',
  })
  expect(tier.code, tier.stderr).toBe(0)
  return {
    dir,
    receiver,
    holder,
    api,
    key,
    restart: async () => {
      await holder.server.kill()
      holder.server = await startServerProcess(dir.path, serverEnv)
    },
  }
}

async function subscribe(api: ApiClient, key: TestKey, url: string, eventTypes?: string[]) {
  const res = await api.send(
    withKey(key, {
      method: 'POST',
      url: '/api/webhooks',
      json: { url, ...(eventTypes ? { eventTypes } : {}) },
    }),
  )
  expect(res.status, res.text).toBe(201)
}

/** Ids the receiver answered with 2xx. */
function deliveredIds(statuses: Map<string, number[]>): Set<string> {
  const ids = new Set<string>()
  for (const [id, codes] of statuses) if (codes.some((c) => c < 300)) ids.add(id)
  return ids
}

describe('Triggers API under SIGKILL', () => {
  it('when the server is SIGKILLed during an ingestion burst, then every event that got a 202 is in the inbox after restart and each is delivered to the webhook', async () => {
    const t = await setup({})
    await subscribe(t.api(), t.key, t.receiver.url)
    const accepted: string[] = []
    let killed = false
    const CLIENTS = 40
    const KILL_AFTER = 1500
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      const api = t.api()
      for (let i = 0; !killed; i++) {
        try {
          const res = await api.send<{ id: string }>(
            withKey(t.key, {
              method: 'POST',
              url: '/api/events',
              json: { type: 'burst', payload: { c, i } },
            }),
          )
          if (res.status === 202) accepted.push(res.body.id)
        } catch {
          return // the connection died with the server
        }
      }
    })
    await expect
      .poll(() => accepted.length, { timeout: 60_000, interval: 5 })
      .toBeGreaterThanOrEqual(KILL_AFTER)
    await t.holder.server.kill()
    killed = true
    await Promise.all(clients)
    const acceptedAtKill = accepted.length
    await t.restart()
    const inbox = new Set((await readInbox(t.api(), t.key, '', 500)).map((e) => e.id))
    const missing = accepted.filter((id) => !inbox.has(id))
    expect(missing).toEqual([])
    // Every stored event (accepted, or stored as the answer was lost) reaches the receiver.
    await t.receiver.waitUntil((got) => new Set(got.map((h) => eventOf(h).id)).size >= inbox.size, 60_000)
    const received = new Set(t.receiver.received.map((h) => eventOf(h).id))
    expect([...inbox].filter((id) => !received.has(id))).toEqual([])
    reportNumbers('triggers crash during ingestion', {
      accepted: acceptedAtKill,
      storedAfterRestart: inbox.size,
      deliveries: t.receiver.received.length,
      duplicates: t.receiver.received.length - received.size,
    })
  }, 180_000)

  it('[S6] when the server is SIGKILLed during 1 000 deliveries to a flaky endpoint, then every event is delivered at least once, duplicates carry its id, retries follow the schedule, and an endpoint that always fails is disabled with the reason', async () => {
    const seed = seedFromEnv('S6_SEED', 20_261_207)
    const random = seededRandom(seed)
    const t = await setup({})
    const statuses = new Map<string, number[]>()
    // 50 % 500s, but never more than three failures in a row for one event: every event can be
    // delivered within the schedule's six attempts.
    t.receiver.respond = (hook, res) => {
      const id = eventOf(hook).id
      expect(hook.headers['webhook-id']).toBe(id)
      const codes = statuses.get(id) ?? []
      const fail = codes.length < 3 && random.next() < 0.5
      codes.push(fail ? 500 : 200)
      statuses.set(id, codes)
      res.writeHead(fail ? 500 : 200).end()
    }
    const failing = await WebhookReceiver.start()
    cleanups.push(() => failing.close())
    failing.respond = (_hook, res) => void res.writeHead(500).end()
    await subscribe(t.api(), t.key, t.receiver.url, ['flaky.*'])
    await subscribe(t.api(), t.key, failing.url, ['final.check'])
    const TOTAL = 1000
    const ids: string[] = []
    const api = t.api()
    for (let batch = 0; batch < TOTAL / 50; batch++) {
      const posted = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          api.send<{ id: string }>(
            withKey(t.key, {
              method: 'POST',
              url: '/api/events',
              json: { type: 'flaky.event', payload: { n: batch * 50 + i } },
            }),
          ),
        ),
      )
      for (const res of posted) {
        expect(res.status, res.text).toBe(202)
        ids.push(res.body.id)
      }
    }
    const finalCheck = await api.send<{ id: string }>(
      withKey(t.key, { method: 'POST', url: '/api/events', json: { type: 'final.check', payload: {} } }),
    )
    await t.receiver.waitUntil(() => deliveredIds(statuses).size >= TOTAL / 3, 60_000)
    await t.restart()
    await t.receiver.waitUntil(() => deliveredIds(statuses).size >= TOTAL, 120_000)
    const delivered = deliveredIds(statuses)
    expect(ids.filter((id) => !delivered.has(id))).toEqual([])
    // Retries keep to the schedule: never before the wait (less its jitter), and mostly near it.
    let checked = 0
    let late = 0
    for (const id of ids.slice(0, 60)) {
      const res = await t
        .api()
        .send<{ deliveries: { attemptLog: { at: string }[] }[] }>(
          withKey(t.key, { method: 'GET', url: `/api/events/${id}/deliveries` }),
        )
      const times = res.body.deliveries[0]?.attemptLog.map((a) => Date.parse(a.at)) ?? []
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] as number) - (times[i - 1] as number)
        const wait = RETRY_DELAYS_MS[i - 1] as number
        expect(gap, `attempt ${i + 1} of ${id}`).toBeGreaterThanOrEqual(Math.floor(wait * (1 - JITTER)) - 5)
        checked += 1
        if (gap > wait * (1 + JITTER) + 1500) late += 1
      }
    }
    expect(checked).toBeGreaterThan(0)
    // Late only across the kill (a claimed delivery waits for its lease to end).
    expect(late).toBeLessThanOrEqual(checked / 4)
    await expect
      .poll(
        async () => {
          const res = await t
            .api()
            .send<{ webhooks: { url: string; enabled: boolean; disabledReason: string | null }[] }>(
              withKey(t.key, { method: 'GET', url: '/api/webhooks' }),
            )
          return res.body.webhooks.find((w) => w.url === failing.url)
        },
        { timeout: 30_000, interval: 250 },
      )
      .toMatchObject({ enabled: false, disabledReason: 'the last of 6 attempts failed (HTTP 500)' })
    expect(failing.received.every((h) => eventOf(h).id === finalCheck.body.id)).toBe(true)
    // Six recorded attempts; the endpoint may have seen one more, sent just before the kill and
    // never recorded (at-least-once: an attempt in flight at a crash is sent again).
    expect(failing.received.length).toBeGreaterThanOrEqual(RETRY_DELAYS_MS.length + 1)
    expect(failing.received.length).toBeLessThanOrEqual(RETRY_DELAYS_MS.length + 2)
    reportNumbers('S6', {
      seed,
      events: TOTAL,
      requests: t.receiver.received.length,
      duplicatesAfterSuccess: t.receiver.received.length - [...statuses.values()].flat().length,
      retryGapsChecked: checked,
      lateGaps: late,
    })
  }, 300_000)
})

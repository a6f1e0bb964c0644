import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REQUESTS_PER_MINUTE, TIERS } from '../../src/triggers/tiers.js'
import { expectError } from '../support/expectError.js'
import { canvasWithRoles, createCanvas, registerUser, shareCanvas } from '../support/fixtures.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { anyString, stringMatching } from '../support/matchers.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import {
  generateKey,
  postEvent,
  readInbox,
  withKey,
  type InboxPage,
  type TestKey,
} from '../support/triggerFixtures.js'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

/** A key with room for a test's worth of requests (the tier tests use their own). */
async function userWithKey() {
  const user = await registerUser(server.http)
  const key = await generateKey(server.http, user)
  await server.deps.triggers.store.setKeyTier(key.keyId, 'enterprise')
  return { user, key }
}

const WRONG_KEY = `cck_zzzzzzzz_${'A'.repeat(43)}`

describe('API keys', () => {
  it('when a signed-in user generates a key, then it is shown once, listed by prefix, and works as X-API-Key or Bearer', async () => {
    const user = await registerUser(server.http)
    const res = await server.http.send<{ apiKey: string; keyId: string; tier: string }>({
      method: 'POST',
      url: '/api/keys/generate',
      token: user.token,
      json: { name: 'Zapier' },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ apiKey: stringMatching(/^cck_[a-z0-9]{8}_/), tier: 'free' })
    expect(res.headers['cache-control']).toBe('no-store')
    const list = await server.http.send<{ keys: Record<string, unknown>[] }>({
      method: 'GET',
      url: '/api/keys',
      token: user.token,
    })
    expect(list.body.keys).toEqual([
      {
        keyId: res.body.keyId,
        name: 'Zapier',
        prefix: res.body.apiKey.slice(0, 12),
        tier: 'free',
        createdAt: anyString(),
        lastUsedAt: null,
      },
    ])
    expect(list.text).not.toContain(res.body.apiKey)
    const viaHeader = await server.http.send<{ keys: { keyId: string; lastUsedAt: string | null }[] }>({
      method: 'GET',
      url: '/api/keys',
      headers: { 'x-api-key': res.body.apiKey },
    })
    expect(viaHeader.body.keys.map((k) => k.keyId)).toEqual([res.body.keyId])
    const viaBearer = await server.http.send({ method: 'GET', url: '/api/inbox', token: res.body.apiKey })
    expect(viaBearer.status, viaBearer.text).toBe(200)
    const after = await server.http.send<{ keys: { lastUsedAt: string | null }[] }>({
      method: 'GET',
      url: '/api/keys',
      token: user.token,
    })
    expect(after.body.keys[0]?.lastUsedAt).toEqual(anyString())
  })

  it('when a key is revoked, then it gets 401 everywhere at once; another user cannot revoke it', async () => {
    const { user, key } = await userWithKey()
    const other = await registerUser(server.http)
    expectError(
      await server.http.send({ method: 'DELETE', url: `/api/keys/${key.keyId}`, token: other.token }),
      404,
      'not_found',
    )
    const revoked = await server.http.send({
      method: 'DELETE',
      url: `/api/keys/${key.keyId}`,
      token: user.token,
    })
    expect(revoked.status).toBe(204)
    for (const request of [
      { method: 'GET' as const, url: '/api/inbox' },
      { method: 'POST' as const, url: '/api/events', json: { type: 'a', payload: {} } },
      { method: 'GET' as const, url: '/api/keys' },
    ]) {
      expectError(await server.http.send(withKey(key, request)), 401, 'unauthorized')
    }
  })

  it('when keys are generated without a session, or with a bad name, then 401 and 400', async () => {
    expectError(
      await server.http.send({ method: 'POST', url: '/api/keys/generate', json: {} }),
      401,
      'unauthorized',
    )
    const user = await registerUser(server.http)
    for (const name of ['', ' ', 'a\u202eb', 'x'.repeat(101)]) {
      expectError(
        await server.http.send({
          method: 'POST',
          url: '/api/keys/generate',
          token: user.token,
          json: { name },
        }),
        400,
        'invalid_input',
        'body.name',
      )
    }
    expectError(
      await server.http.send({
        method: 'POST',
        url: '/api/keys/generate',
        token: user.token,
        json: { tier: 'enterprise' },
      }),
      400,
      'invalid_input',
      'body.tier',
    )
  })
})

describe('POST /api/events', () => {
  it('when an event is posted, then 202 with its id, and it is in the inbox at once (stored before the answer)', async () => {
    const { key } = await userWithKey()
    const res = await server.http.send<{ id: string; status: string; message: string }>(
      withKey(key, {
        method: 'POST',
        url: '/api/events',
        json: { type: 'form.answered', payload: { answer: 42 } },
      }),
    )
    expect(res.status, res.text).toBe(202)
    expect(res.body).toEqual({
      id: stringMatching(/^evt_/),
      status: 'accepted',
      message: 'Event queued for processing',
    })
    expect(await readInbox(server.http, key)).toEqual([
      {
        id: res.body.id,
        type: 'form.answered',
        payload: { answer: 42 },
        status: 'pending',
        createdAt: anyString(),
      },
    ])
  })

  it('when no key, a wrong key or a malformed key is sent, then 401 and nothing is stored', async () => {
    const { key } = await userWithKey()
    const body = { method: 'POST' as const, url: '/api/events', json: { type: 'a', payload: {} } }
    expectError(await server.http.send(body), 401, 'unauthorized')
    expectError(await server.http.send(withKey(WRONG_KEY, body)), 401, 'unauthorized')
    expectError(await server.http.send(withKey('not-a-key', body)), 401, 'unauthorized')
    expectError(await server.http.send({ ...body, token: WRONG_KEY }), 401, 'unauthorized')
    expect(await readInbox(server.http, key)).toEqual([])
  })

  it('when the body is invalid, then 400 naming the field, and nothing is stored', async () => {
    const { key } = await userWithKey()
    const cases: [unknown, string][] = [
      [{ payload: {} }, 'body.type'],
      [{ type: '', payload: {} }, 'body.type'],
      [{ type: 'has space', payload: {} }, 'body.type'],
      [{ type: 'x'.repeat(129), payload: {} }, 'body.type'],
      [{ type: '.starts.with.dot', payload: {} }, 'body.type'],
      [{ type: 'a' }, 'body.payload'],
      [{ type: 'a', payload: [1, 2] }, 'body.payload'],
      [{ type: 'a', payload: 'text' }, 'body.payload'],
      [{ type: 'a', payload: null }, 'body.payload'],
      [{ type: 'a', payload: {}, dedupId: '' }, 'body.dedupId'],
      [{ type: 'a', payload: {}, dedupId: 'canvas:x:1' }, 'body.dedupId'],
      [{ type: 'a', payload: {}, dedupId: 'd'.repeat(201) }, 'body.dedupId'],
      [{ type: 'a', payload: {}, extra: 1 }, 'body.extra'],
    ]
    for (const [json, field] of cases) {
      const res = await server.http.send(withKey(key, { method: 'POST', url: '/api/events', json }))
      expectError(res, 400, 'invalid_input', field)
    }
    const proto = await server.http.send(
      withKey(key, {
        method: 'POST',
        url: '/api/events',
        payload: '{"type":"a","payload":{"__proto__":{"admin":true}}}',
        headers: { 'content-type': 'application/json' },
      }),
    )
    expectError(proto, 400, 'invalid_input', 'body')
    expect(await readInbox(server.http, key)).toEqual([])
  })

  it('when the payload is above 256 KiB, then 413, whether the body is just over or far over', async () => {
    const { key } = await userWithKey()
    const justOver = { type: 'big', payload: { blob: 'x'.repeat(256 * 1024) } }
    expectError(
      await server.http.send(withKey(key, { method: 'POST', url: '/api/events', json: justOver })),
      413,
      'payload_too_large',
    )
    const farOver = { type: 'big', payload: { blob: 'x'.repeat(2 * 1024 * 1024) } }
    const res = await server.http.send(withKey(key, { method: 'POST', url: '/api/events', json: farOver }))
    expectError(res, 413, 'payload_too_large')
    expect(res.body).toMatchObject({ error: { message: 'payload is larger than 256 KiB' } })
    const fits = { type: 'big', payload: { blob: 'x'.repeat(256 * 1024 - 20) } }
    expect(
      (await server.http.send(withKey(key, { method: 'POST', url: '/api/events', json: fits }))).status,
    ).toBe(202)
    expect((await readInbox(server.http, key)).length).toBe(1)
  })

  it('when the same dedupId is posted again, concurrently or later, then every answer carries the first id and one event exists', async () => {
    const { key } = await userWithKey()
    const body = { type: 'order.paid', payload: { order: 7 }, dedupId: 'order-7' }
    const ids = await Promise.all(Array.from({ length: 10 }, () => postEvent(server.http, key, body)))
    const later = await postEvent(server.http, key, body)
    expect(new Set([...ids, later]).size).toBe(1)
    expect((await readInbox(server.http, key)).map((e) => e.id)).toEqual([later])
  })
})

describe('GET /api/inbox and POST /api/ack/:id', () => {
  it('when read oldest first, newest first, by type, status and time, then each filter holds and the cursor pages', async () => {
    const { key } = await userWithKey()
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      ids.push(await postEvent(server.http, key, { type: i % 2 ? 'odd' : 'even', payload: { i } }))
      server.clock.advance(1000)
    }
    expect((await readInbox(server.http, key, '', 3)).map((e) => e.id)).toEqual(ids)
    expect((await readInbox(server.http, key, '&order=desc', 2)).map((e) => e.id)).toEqual([...ids].reverse())
    expect((await readInbox(server.http, key, '&type=odd', 2)).map((e) => e.payload.i)).toEqual([1, 3, 5])
    const sinceIso = new Date(server.clock.now() - 2500).toISOString()
    expect((await readInbox(server.http, key, `&since=${sinceIso}`)).map((e) => e.payload.i)).toEqual([5, 6])
    await server.http.send(withKey(key, { method: 'POST', url: `/api/ack/${ids[0]}` }))
    expect((await readInbox(server.http, key, '&status=acked')).map((e) => e.id)).toEqual([ids[0]])
    expect((await readInbox(server.http, key, '&status=pending')).length).toBe(6)
  })

  it('when a poller keeps the last nextCursor, then the next poll returns only what came after', async () => {
    const { key } = await userWithKey()
    await postEvent(server.http, key, { type: 'a', payload: {} })
    const first = await server.http.send<InboxPage>(withKey(key, { method: 'GET', url: '/api/inbox' }))
    expect(first.body.events).toHaveLength(1)
    expect(first.body.hasMore).toBe(false)
    const empty = await server.http.send<InboxPage>(
      withKey(key, { method: 'GET', url: `/api/inbox?cursor=${first.body.nextCursor}` }),
    )
    expect(empty.body).toEqual({ events: [], nextCursor: first.body.nextCursor, hasMore: false })
    const id = await postEvent(server.http, key, { type: 'b', payload: {} })
    const next = await server.http.send<InboxPage>(
      withKey(key, { method: 'GET', url: `/api/inbox?cursor=${first.body.nextCursor}` }),
    )
    expect(next.body.events.map((e) => e.id)).toEqual([id])
  })

  it('[TRG2] when events are posted concurrently while a client pages, then it reads every one exactly once', async () => {
    const { key } = await userWithKey()
    const posted: string[] = []
    let posting = true
    const writers = Promise.all(
      Array.from({ length: 5 }, async (_, w) => {
        for (let i = 0; i < 40; i++)
          posted.push(await postEvent(server.http, key, { type: 'burst', payload: { w, i } }))
      }),
    ).finally(() => {
      posting = false
    })
    const read: string[] = []
    let cursor: string | null = null
    for (;;) {
      const done = !posting
      const url: string = `/api/inbox?limit=9${cursor === null ? '' : `&cursor=${cursor}`}`
      const res = await server.http.send<InboxPage>(withKey(key, { method: 'GET', url }))
      read.push(...res.body.events.map((e) => e.id))
      cursor = res.body.nextCursor
      if (done && !res.body.hasMore) break
    }
    await writers
    expect(read.length).toBe(posted.length)
    expect(new Set(read)).toEqual(new Set(posted))
  })

  it('when the query is invalid, then 400 naming the parameter', async () => {
    const { key } = await userWithKey()
    const cases: [string, string][] = [
      ['limit=0', 'querystring.limit'],
      ['limit=501', 'querystring.limit'],
      ['limit=abc', 'querystring.limit'],
      ['order=sideways', 'querystring.order'],
      ['status=done', 'querystring.status'],
      ['since=yesterday', 'querystring.since'],
      ['cursor=bm9wZQ', 'querystring.cursor'],
      [`cursor=${Buffer.from('desc:5').toString('base64url')}`, 'querystring.cursor'],
      ['type=a%20b', 'querystring.type'],
      ['bogus=1', 'querystring.bogus'],
    ]
    for (const [query, field] of cases) {
      expectError(
        await server.http.send(withKey(key, { method: 'GET', url: `/api/inbox?${query}` })),
        400,
        'invalid_input',
        field,
      )
    }
  })

  it('when an event is acked twice, then 200 both times; another owner’s event or an unknown id is 404', async () => {
    const a = await userWithKey()
    const b = await userWithKey()
    const id = await postEvent(server.http, a.key, { type: 'x', payload: {} })
    for (let i = 0; i < 2; i++) {
      const res = await server.http.send(withKey(a.key, { method: 'POST', url: `/api/ack/${id}` }))
      expect(res.status, res.text).toBe(200)
      expect(res.body).toEqual({ id, status: 'acked' })
    }
    expectError(
      await server.http.send(withKey(b.key, { method: 'POST', url: `/api/ack/${id}` })),
      404,
      'not_found',
    )
    expectError(
      await server.http.send(withKey(a.key, { method: 'POST', url: '/api/ack/evt_unknown' })),
      404,
      'not_found',
    )
    expectError(
      await server.http.send(withKey(a.key, { method: 'POST', url: '/api/ack/..%2F..' })),
      400,
      'invalid_input',
      'params.id',
    )
    expect(await readInbox(server.http, b.key)).toEqual([])
    expectError(
      await server.http.send(withKey(b.key, { method: 'GET', url: `/api/events/${id}/deliveries` })),
      404,
      'not_found',
    )
  })
})

describe('rate limits', () => {
  it.each(TIERS)(
    'when a %s key makes one request more than its tier allows a minute, then that one is 429 with Retry-After, and the headers count down',
    async (tier) => {
      const user = await registerUser(server.http)
      const key: TestKey = await generateKey(server.http, user)
      await server.deps.triggers.store.setKeyTier(key.keyId, tier)
      const limit = REQUESTS_PER_MINUTE[tier]
      // In process: thousands of requests; the test clock stands still, so nothing refills.
      for (let i = 1; i <= limit; i++) {
        const res = await server.inject.send(withKey(key, { method: 'GET', url: '/api/keys' }))
        if (res.status !== 200 || i === 1 || i === limit) {
          expect(res.status, res.text).toBe(200)
          expect(res.headers['x-ratelimit-limit']).toBe(String(limit))
          expect(res.headers['x-ratelimit-remaining']).toBe(String(limit - i))
        }
      }
      const refused = await server.inject.send(withKey(key, { method: 'GET', url: '/api/keys' }))
      expectError(refused, 429, 'rate_limited')
      expect(refused.headers['retry-after']).toBe(String(Math.ceil(60 / limit)))
      expect(refused.headers['x-ratelimit-remaining']).toBe('0')
      expect(Number(refused.headers['x-ratelimit-reset'])).toBe(60)
      // A minute later the bucket is full again.
      server.clock.advance(60_000)
      expect((await server.inject.send(withKey(key, { method: 'GET', url: '/api/keys' }))).status).toBe(200)
    },
  )

  it('when one key is exhausted, then another key of the same user still has its own bucket', async () => {
    const user = await registerUser(server.http)
    const a = await generateKey(server.http, user)
    const b = await generateKey(server.http, user)
    for (let i = 0; i < 10; i++) await server.inject.send(withKey(a, { method: 'GET', url: '/api/inbox' }))
    expectError(
      await server.inject.send(withKey(a, { method: 'GET', url: '/api/inbox' })),
      429,
      'rate_limited',
    )
    expect((await server.inject.send(withKey(b, { method: 'GET', url: '/api/inbox' }))).status).toBe(200)
  })
})

describe('canvas actions', () => {
  it('when the owner’s and an editor’s keys create, update and delete objects, then each is one op in the log; a viewer’s key is 403, a stranger’s 404', async () => {
    const { owner, editor, viewer, stranger, canvas } = await canvasWithRoles(server.http)
    const keys = {
      owner: await generateKey(server.http, owner),
      editor: await generateKey(server.http, editor),
      viewer: await generateKey(server.http, viewer),
      stranger: await generateKey(server.http, stranger),
    }
    const url = `/api/canvases/${canvas.id}/objects`
    const create = (key: TestKey, object: object) =>
      server.http.send<{ id: string; seq: number }>(withKey(key, { method: 'POST', url, json: { object } }))
    const made = await create(keys.owner, { id: 'note-1', type: 'text', text: 'Hello', x: 10, y: 20 })
    expect(made.status, made.text).toBe(201)
    expect(made.body).toMatchObject({ id: 'note-1', seq: 1 })
    const named = await create(keys.editor, { type: 'rect', width: 5 })
    expect(named.status, named.text).toBe(201)
    expect(named.body.id).toMatch(/^[0-9a-f-]{36}$/)
    const patched = await server.http.send(
      withKey(keys.editor, { method: 'PATCH', url: `${url}/note-1`, json: { changes: { text: 'Edited' } } }),
    )
    expect(patched.status, patched.text).toBe(200)
    expectError(await create(keys.viewer, { type: 'rect' }), 403, 'forbidden')
    expectError(await create(keys.stranger, { type: 'rect' }), 404, 'not_found')
    expectError(
      await server.http.send(withKey(keys.viewer, { method: 'DELETE', url: `${url}/note-1` })),
      403,
      'forbidden',
    )
    expectError(
      await server.http.send(
        withKey(keys.stranger, { method: 'PATCH', url: `${url}/note-1`, json: { changes: { x: 1 } } }),
      ),
      404,
      'not_found',
    )
    const deleted = await server.http.send(withKey(keys.owner, { method: 'DELETE', url: `${url}/note-1` }))
    expect(deleted.status, deleted.text).toBe(200)
    const state = await server.http.send<{ seq: number; objects: { id: string }[] }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: owner.token,
    })
    expect(state.body.seq).toBe(4)
    expect(state.body.objects.map((o) => o.id)).toEqual([named.body.id])
  })

  it('when an action is invalid, then 400 naming the field as the WebSocket would, and nothing is logged', async () => {
    const { owner, canvas } = await canvasWithRoles(server.http)
    const key = await generateKey(server.http, owner)
    await server.deps.triggers.store.setKeyTier(key.keyId, 'enterprise')
    const url = `/api/canvases/${canvas.id}/objects`
    const cases: [object, number, string | undefined][] = [
      [{ object: { type: 'hexagon' } }, 400, 'body.object.type'],
      [{ object: { type: 'rect', x: 'left' } }, 400, 'body.object.x'],
      [{ object: { type: 'rect', version: 9 } }, 400, 'body.object.version'],
      [{ object: { type: 'rect', id: 'a b' } }, 400, 'body.object.id'],
      [{ object: { type: 'rect' }, extra: 1 }, 400, 'body.extra'],
      [{}, 400, 'body.object'],
    ]
    for (const [json, status, field] of cases) {
      const res = await server.http.send(withKey(key, { method: 'POST', url, json }))
      expect(res.status, `${JSON.stringify(json)} → ${res.text}`).toBe(status)
      expect((res.body as { error: { field?: string } }).error.field).toBe(field)
    }
    expectError(
      await server.http.send(
        withKey(key, { method: 'PATCH', url: `${url}/missing`, json: { changes: { x: 1 } } }),
      ),
      404,
      'not_found',
    )
    expectError(
      await server.http.send(
        withKey(key, { method: 'PATCH', url: `${url}/missing`, json: { changes: { type: 'ellipse' } } }),
      ),
      400,
      'invalid_input',
      'body.changes.type',
    )
    const state = await server.http.send<{ seq: number }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: owner.token,
    })
    expect(state.body.seq).toBe(0)
  })
})

describe('canvas lifecycle events', () => {
  it('when an owner with a key creates, renames, shares, unshares and deletes a canvas, then each is one event in order; an owner without a key gets none', async () => {
    const { user: owner, key } = await userWithKey()
    const member = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner, 'Review board')
    const renamed = await server.http.send({
      method: 'PATCH',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
      json: { name: 'Review board (Q1)' },
    })
    expect(renamed.status, renamed.text).toBe(200)
    await shareCanvas(server.http, owner, canvas.id, member, 'editor')
    const removed = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}/members/${member.id}`,
      token: owner.token,
    })
    expect(removed.status, removed.text).toBe(204)
    const deleted = await server.http.send({
      method: 'DELETE',
      url: `/api/canvases/${canvas.id}`,
      token: owner.token,
    })
    expect(deleted.status, deleted.text).toBe(204)
    // Stored before each answer: no waiting.
    const events = await readInbox(server.http, key)
    expect(events.map((e) => [e.type, e.payload])).toEqual([
      ['canvas.created', { canvasId: canvas.id, name: 'Review board', at: anyString() }],
      ['canvas.renamed', { canvasId: canvas.id, name: 'Review board (Q1)', at: anyString() }],
      ['canvas.shared', { canvasId: canvas.id, userId: member.id, role: 'editor', at: anyString() }],
      ['canvas.shared', { canvasId: canvas.id, userId: member.id, role: null, at: anyString() }],
      ['canvas.deleted', { canvasId: canvas.id, at: anyString() }],
    ])
    // The member's own key sees none of the owner's canvas events.
    const memberKey = await generateKey(server.http, member)
    expect(await readInbox(server.http, memberKey)).toEqual([])
    const keyless = await registerUser(server.http)
    await createCanvas(server.http, keyless, 'No automations')
    const later = await generateKey(server.http, keyless)
    expect(await readInbox(server.http, later)).toEqual([])
  })
})

describe('/metrics', () => {
  it('when events are pending and acked, then the triggers gauges count them for every account together', async () => {
    const { key } = await userWithKey()
    const before = await server.deps.triggers.stats(undefined)
    const first = await postEvent(server.http, key, { type: 'metrics.test', payload: {} })
    await postEvent(server.http, key, { type: 'metrics.test', payload: {} })
    const acked = await server.http.send(withKey(key, { method: 'POST', url: `/api/ack/${first}` }))
    expect(acked.status, acked.text).toBe(200)
    const text = await scrapeMetrics(server.http)
    expect(metricValue(text, 'triggers_events', { status: 'pending' })).toBe(before.pending + 1)
    expect(metricValue(text, 'triggers_events', { status: 'acked' })).toBe(before.acked + 1)
    expect(metricValue(text, 'triggers_webhook_deliveries', { state: 'dead' })).toBeTypeOf('number')
    expect(metricValue(text, 'triggers_oldest_pending_event_age_seconds')).toBeGreaterThanOrEqual(0)
    expect(metricValue(text, 'triggers_ingest_rate_per_second')).toBeGreaterThan(0)
    expect(metricValue(text, 'triggers_delivery_rate_per_second')).toBeGreaterThanOrEqual(0)
  })
})

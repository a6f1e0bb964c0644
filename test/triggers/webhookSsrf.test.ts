import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import zlib from 'node:zlib'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { WebhookRequest, WebhookResponse } from '../../src/triggers/webhookSender.js'
import { sendWebhook } from '../../src/triggers/webhookSender.js'
import { systemClock } from '../support/clock.js'
import { expectError } from '../support/expectError.js'
import { registerUser } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { generateKey, postEvent, withKey } from '../support/triggerFixtures.js'
import { WebhookReceiver } from '../support/webhookReceiver.js'

// SSRF and hostile endpoints, ../shared/reliability.md S1–S4. ALLOW_PRIVATE_WEBHOOKS is off here
// except where a loopback receiver must be reachable (S3, S4). Private ranges other than loopback
// are never contacted: a recording connector stands in for the sender, and only loopback requests
// go on to a real socket (the canary), which must see none.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Every Brotli decoder entry point, counted: none may run on a response [S4]. */
const brotliCalls = { count: 0 }
const zlibApi = zlib as unknown as Record<string, (...args: unknown[]) => unknown>
for (const name of ['createBrotliDecompress', 'brotliDecompress', 'brotliDecompressSync']) {
  const original = zlibApi[name]
  if (original === undefined) throw new Error(`zlib.${name} is missing`)
  // Read-only but configurable: redefined, so whatever reaches zlib's exports is counted.
  Object.defineProperty(zlib, name, {
    configurable: true,
    value: (...args: unknown[]) => {
      brotliCalls.count += 1
      return original.apply(zlib, args)
    },
  })
}
afterAll(() => {
  expect(brotliCalls.count).toBe(0)
})

type Resolve = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>

interface Harness {
  server: TestServer
  /** What the sender was asked to connect to. */
  attempts: WebhookRequest[]
}

async function start(options: {
  allowPrivate: boolean
  resolveHost?: Resolve
  timeoutMs?: number
  realSend?: boolean
}): Promise<Harness> {
  const attempts: WebhookRequest[] = []
  const server = await startTestServer({
    clock: systemClock(),
    env: {
      ALLOW_PRIVATE_WEBHOOKS: String(options.allowPrivate),
      WEBHOOK_TIMEOUT_MS: String(options.timeoutMs ?? 2000),
    },
    triggers: {
      deliveryPolicy: { retryDelaysMs: [50], jitter: 0 },
      webhookPollMs: 50,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
      // Loopback goes to the real sender (the canary counts connections); anything else is only recorded.
      sendWebhook: async (request): Promise<WebhookResponse> => {
        attempts.push(request)
        const loopback = request.address.address === '127.0.0.1' || request.address.address === '::1'
        if (options.realSend === true || loopback) return sendWebhook(request)
        return { statusCode: 500, error: 'recorded, not sent', durationMs: 0 }
      },
    },
  })
  cleanups.push(() => server.close())
  return { server, attempts }
}

async function ownerKey(server: TestServer) {
  const user = await registerUser(server.http)
  const key = await generateKey(server.http, user)
  await server.deps.triggers.store.setKeyTier(key.keyId, 'enterprise')
  return { user, key }
}

async function canary(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start()
  cleanups.push(() => r.close())
  return r
}

/** Resolves names the tests use; everything else fails to resolve (no real DNS in tests). */
const TEST_HOSTS: Record<string, { address: string; family: 4 | 6 }[]> = {
  localhost: [
    { address: '127.0.0.1', family: 4 },
    { address: '::1', family: 6 },
  ],
  'ten.example.test': [{ address: '10.0.0.7', family: 4 }],
  'metadata.example.test': [{ address: '169.254.169.254', family: 4 }],
  'mixed.example.test': [
    { address: '203.0.114.9', family: 4 },
    { address: '192.168.0.9', family: 4 },
  ],
  'v6private.example.test': [{ address: 'fd12::1', family: 6 }],
  'public.example.test': [{ address: '203.0.114.9', family: 4 }],
}
const resolveTestHost: Resolve = async (hostname) => {
  const found = TEST_HOSTS[hostname]
  if (found === undefined) throw new Error(`ENOTFOUND ${hostname}`)
  return found
}

function hostileUrls(port: number): string[] {
  return [
    `http://127.0.0.1:${port}/`,
    `http://localhost:${port}/`,
    `http://[::1]:${port}/`,
    `http://0.0.0.0:${port}/`,
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://2130706433:${port}/`,
    `http://0x7f.1:${port}/`,
    `http://127.1:${port}/`,
    'http://10.1.2.3/',
    'http://172.16.5.4/',
    'http://172.31.255.1/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fc00::1]/',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://ten.example.test/',
    'http://metadata.example.test/',
    'http://mixed.example.test/',
    'http://v6private.example.test/',
    'http://user:pass@public.example.test/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:70/',
    'ftp://public.example.test/',
  ]
}

describe('webhook SSRF', () => {
  it('[S1] when hostile URLs are registered, then every one is refused; when they are stored anyway, then no delivery connects', async () => {
    const c = await canary()
    const port = Number(new URL(c.url).port)
    const { server, attempts } = await start({ allowPrivate: false, resolveHost: resolveTestHost })
    const { user, key } = await ownerKey(server)
    const urls = hostileUrls(port)
    for (const url of urls) {
      for (const path of ['/api/webhooks', '/api/webhook/config']) {
        const res = await server.http.send(withKey(key, { method: 'POST', url: path, json: { url } }))
        expectError(res, 400, 'invalid_input', 'body.url')
      }
    }
    const ok = await server.http.send(
      withKey(key, {
        method: 'POST',
        url: '/api/webhooks',
        json: { url: 'https://public.example.test/hook' },
      }),
    )
    expect(ok.status, ok.text).toBe(201)
    // Registered some other way (an older version, a direct write): refused again at delivery.
    await server.deps.triggers.store.deleteEndpoint(
      user.id,
      (ok.body as { webhook: { id: string } }).webhook.id,
    )
    for (const [i, url] of urls.entries()) {
      await server.deps.triggers.store.createEndpoint({
        id: `hostile-${i}`,
        ownerId: user.id,
        url,
        eventTypes: [],
        secret: 'whsec_AAAA',
        createdAt: Date.now(),
      })
    }
    const id = await postEvent(server.http, key, { type: 'probe', payload: {} })
    await expect
      .poll(
        async () =>
          (await server.deps.triggers.store.listDeliveries(user.id, id))?.every((d) => d.status === 'dead'),
        {
          timeout: 20_000,
        },
      )
      .toBe(true)
    const log = (await server.deps.triggers.store.listDeliveries(user.id, id)) ?? []
    expect(log).toHaveLength(urls.length)
    for (const d of log) expect(d.attemptLog.every((a) => a.error?.startsWith('refused:'))).toBe(true)
    expect(attempts).toEqual([])
    expect(c.connections).toBe(0)
  })

  it('[S2] when a name resolves to a public address at registration and to loopback later, then no delivery reaches loopback', async () => {
    const c = await canary()
    let calls = 0
    // Public at registration, then loopback and public by turns at each delivery attempt.
    const rebinding: Resolve = async () => {
      calls += 1
      return calls % 2 === 1
        ? [{ address: '203.0.114.20', family: 4 }]
        : [{ address: '127.0.0.1', family: 4 }]
    }
    const { server, attempts } = await start({ allowPrivate: false, resolveHost: rebinding })
    const { user, key } = await ownerKey(server)
    const port = new URL(c.url).port
    const res = await server.http.send(
      withKey(key, {
        method: 'POST',
        url: '/api/webhooks',
        json: { url: `http://rebind.example.test:${port}/hook` },
      }),
    )
    expect(res.status, res.text).toBe(201)
    const id = await postEvent(server.http, key, { type: 'probe', payload: {} })
    await expect
      .poll(async () => (await server.deps.triggers.store.listDeliveries(user.id, id))?.[0]?.status, {
        timeout: 20_000,
      })
      .toBe('dead')
    const [log] = (await server.deps.triggers.store.listDeliveries(user.id, id)) ?? []
    expect(log?.attemptLog.some((a) => a.error?.startsWith('refused:'))).toBe(true)
    // Whatever reached the sender went to the address checked in that same attempt: never loopback.
    expect(attempts.every((a) => a.address.address === '203.0.114.20')).toBe(true)
    expect(c.connections).toBe(0)
  })

  it('[S3] when an endpoint answers 302 to another address, then the delivery fails and the target sees no connection', async () => {
    const target = await canary()
    const redirector = await canary()
    redirector.respond = (_req, res) => void res.writeHead(302, { location: `${target.url}/stolen` }).end()
    const { server } = await start({ allowPrivate: true, realSend: true })
    const { user, key } = await ownerKey(server)
    await server.http.send(
      withKey(key, { method: 'POST', url: '/api/webhooks', json: { url: redirector.url } }),
    )
    const id = await postEvent(server.http, key, { type: 'probe', payload: {} })
    await expect
      .poll(async () => (await server.deps.triggers.store.listDeliveries(user.id, id))?.[0]?.status, {
        timeout: 20_000,
      })
      .toBe('dead')
    const [log] = (await server.deps.triggers.store.listDeliveries(user.id, id)) ?? []
    expect(log?.attemptLog.map((a) => [a.statusCode, a.error])).toEqual([
      [302, 'redirects are not followed'],
      [302, 'redirects are not followed'],
    ])
    expect(redirector.received).toHaveLength(2)
    expect(target.connections).toBe(0)
  })

  it('[S4] when endpoints answer with Brotli garbage, 1 GiB, a body that never ends and a 60 s stall, then nothing is decoded, little is read, and the stall times out at 15 s', async () => {
    const garbage = await hostileServer((res) => {
      res.writeHead(200, { 'content-encoding': 'br', 'content-type': 'application/json' })
      res.end(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)))
    })
    const huge = await hostileServer((res, written) => {
      res.writeHead(200, { 'content-length': String(1024 ** 3) })
      const chunk = Buffer.alloc(64 * 1024, 'x')
      const pump = () => {
        while (written.bytes < 1024 ** 3 && !res.destroyed) {
          written.bytes += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
      }
      pump()
    })
    const endless = await hostileServer((res, written) => {
      res.writeHead(200)
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        written.bytes += 1
        res.write('x')
      }, 100)
      res.once('close', () => clearInterval(timer))
    })
    const stall = await hostileServer(() => undefined)
    const { server } = await start({ allowPrivate: true, realSend: true, timeoutMs: 15_000 })
    const { user, key } = await ownerKey(server)
    for (const s of [garbage, huge, endless, stall]) {
      await server.http.send(withKey(key, { method: 'POST', url: '/api/webhooks', json: { url: s.url } }))
    }
    const rssBefore = process.memoryUsage().rss
    const id = await postEvent(server.http, key, { type: 'probe', payload: {} })
    await expect
      .poll(
        async () => {
          const log = (await server.deps.triggers.store.listDeliveries(user.id, id)) ?? []
          return log.filter((d) => d.attemptLog.length > 0).length
        },
        { timeout: 40_000, interval: 250 },
      )
      .toBe(4)
    const log = (await server.deps.triggers.store.listDeliveries(user.id, id)) ?? []
    const stalled = log.find((d) => d.attemptLog[0]?.statusCode === null)
    expect(stalled?.attemptLog[0]?.error).toBe('no answer within 15000 ms')
    expect(stalled?.attemptLog[0]?.durationMs).toBeGreaterThanOrEqual(15_000)
    expect(stalled?.attemptLog[0]?.durationMs).toBeLessThan(30_000)
    // A 2xx is a delivery, whatever the body: garbage, huge and endless were delivered.
    expect(log.filter((d) => d.status === 'delivered')).toHaveLength(3)
    // Read no further than a small cap: the huge body's sender was cut off within socket buffers.
    await expect.poll(() => huge.closed, { timeout: 20_000 }).toBe(true)
    expect(huge.written.bytes).toBeLessThan(32 * 1024 * 1024)
    // The endless body's connection ends by the deadline.
    await expect.poll(() => endless.closed, { timeout: 20_000 }).toBe(true)
    expect(brotliCalls.count).toBe(0)
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024)
  }, 90_000)
})

interface HostileServer {
  url: string
  written: { bytes: number }
  closed: boolean
}

/** A loopback server answering every request with `answer`; `closed` once the response's connection ends. */
async function hostileServer(
  answer: (res: http.ServerResponse, written: { bytes: number }) => void,
): Promise<HostileServer> {
  const state: HostileServer = { url: '', written: { bytes: 0 }, closed: false }
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    req.resume()
    res.once('close', () => {
      state.closed = true
    })
    answer(res, state.written)
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return state
}

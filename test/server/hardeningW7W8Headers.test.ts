import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_UPGRADE_HEADERS } from '../../src/server/plugins/upgradeGuard.js'
import { reportNumbers } from '../support/hardening.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

function connect(baseUrl: string): Promise<net.Socket> {
  const { port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Sends `request`, resolves with what the server answered once it closed the connection. */
async function exchange(baseUrl: string, request: string): Promise<string> {
  const socket = await connect(baseUrl)
  return new Promise((resolve) => {
    let data = ''
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
    socket.on('error', () => {})
    socket.on('close', () => resolve(data))
    socket.write(request)
  })
}

describe('[W7] slowloris on HTTP', () => {
  it('[W7] when 200 connections trickle a header byte every 500 ms then all are closed within headersTimeout (lowered to 2 s) plus the 1 s check, while GET /health answers', async () => {
    const s = await startTestServer()
    const HEADERS_TIMEOUT_MS = 2_000
    const timers: NodeJS.Timeout[] = []
    try {
      s.app.server.headersTimeout = HEADERS_TIMEOUT_MS
      const request = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(1_000)
      const startedAt = Date.now()
      const closedAfterMs = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const socket = await connect(s.baseUrl)
          let sent = 0
          // Faster than the idle timeout: only headersTimeout can end these connections.
          const timer = setInterval(() => {
            if (!socket.destroyed) socket.write(request[sent++ % request.length] ?? 'a')
          }, 500)
          timers.push(timer)
          socket.write(request[sent++] ?? 'G')
          return new Promise<number>((resolve) => {
            socket.on('error', () => {})
            socket.on('close', () => {
              clearInterval(timer)
              resolve(Date.now() - startedAt)
            })
          })
        }).concat([
          (async () => {
            // While the 200 hang on, a normal request is served.
            const before = performance.now()
            const health = await s.http.send({ method: 'GET', url: '/health' })
            expect(health.status).toBe(200)
            reportNumbers('W7', { healthMsDuringSlowloris: Number((performance.now() - before).toFixed(1)) })
            return 0
          })(),
        ]),
      )
      const slowest = Math.max(...closedAfterMs)
      reportNumbers('W7', { connections: 200, slowestClosedAfterMs: slowest })
      // headersTimeout + Node's 1 s check interval + slack for a loaded machine.
      expect(slowest).toBeLessThan(HEADERS_TIMEOUT_MS + 1_000 + 3_000)
      expect((await s.http.send({ method: 'GET', url: '/health' })).status).toBe(200)
    } finally {
      timers.forEach(clearInterval)
      await s.close()
    }
  })
})

describe('[W8] header count on a WebSocket upgrade', () => {
  const upgradeHeaders = (host: string) =>
    `Host: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
  const junk = (count: number, size: number) =>
    Array.from({ length: count }, (_, i) => `x${i}:${'v'.repeat(size)}\r\n`).join('')

  it.each([
    ['2 000 headers over 16 KiB', 431, (host: string) => upgradeHeaders(host) + junk(2_000, 8)],
    [
      '2 000 small headers before the handshake ones (CVE-2024-37890)',
      431,
      (host: string) => junk(2_000, 0) + upgradeHeaders(host),
    ],
    [
      '2 000 small headers after the handshake ones',
      431,
      (host: string) => upgradeHeaders(host) + junk(2_000, 0),
    ],
    [
      `${MAX_UPGRADE_HEADERS + 1} headers`,
      431,
      (host: string) => upgradeHeaders(host) + junk(MAX_UPGRADE_HEADERS - 4, 0),
    ],
  ] as const)(
    '[W8] when an upgrade carries %s then it is refused with %s before 101 and the process stays up',
    async (_case, status, headers) => {
      const owner = await registerUser(server.http)
      const canvas = await createCanvas(server.http, owner)
      const host = new URL(server.baseUrl).host
      const reply = await exchange(server.baseUrl, `GET /ws/${canvas.id} HTTP/1.1\r\n${headers(host)}\r\n`)
      expect(reply.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} Request Header Fields Too Large`)
      expect(reply).toContain('"code":"payload_too_large"')
      expect(reply).not.toContain('101 Switching Protocols')
      // Still serving HTTP and WebSockets.
      expect((await server.http.send({ method: 'GET', url: '/health' })).status).toBe(200)
      const client = await WsTestClient.connect(server.baseUrl, canvas.id, {
        token: owner.token,
        headers: { origin: server.baseUrl },
      })
      expect(client.authSuccess?.type).toBe('auth-success')
      client.socket.close()
    },
  )
})

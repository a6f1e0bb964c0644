import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_REALTIME_LIMITS } from '../../src/server/realtime/realtimeLimits.js'
import { fetchClient } from '../support/apiClient.js'
import { startCli, type CliProcess } from '../support/cli.js'
import { createCanvas, registerUser, type TestUser } from '../support/fixtures.js'
import { CountingClient, pingRoundTrip, reportNumbers } from '../support/hardening.js'
import { OPCODE, clientFrame } from '../support/rawWebSocket.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from '../support/serverProcess.js'
import { tempDir } from '../support/tempDir.js'

/**
 * [W11] Connection resets at every stage of a handshake. A client may reset its TCP connection
 * (RST: `resetAndDestroy()`) at any moment, typically without reading what the server answered.
 * Node's HTTP server takes its own error listener off a socket it hands to the 'upgrade' event,
 * so a socket the server touches without one turns that reset into an uncaught 'error' that ends
 * the process: one unauthenticated connection brought the whole server down. This runs the built
 * server as a child process (a crash is the process exiting), resets connections at each stage
 * and checks after each that the same process still answers HTTP and WebSocket clients.
 */

/** Resets per variant: the race between the RST and the server's write lands differently each time. */
const RESETS = 15

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  CountingClient.terminateAll()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Server {
  cli: CliProcess
  baseUrl: string
  port: number
}

async function startServer(): Promise<Server> {
  const dir = tempDir()
  cleanups.push(() => dir.remove())
  const {
    server: cli,
    baseUrl,
    port,
  } = await startOnFreePort({
    start: (p) =>
      startCli(['serve'], { PORT: String(p), HOST: '127.0.0.1', DATA_DIR: dir.path, LOG_LEVEL: 'info' }),
    listening: (s, p) => s.waitForStdout(new RegExp(listeningMessage(p).replace(/[.]/g, '\\.')), 30_000),
    stop: (s) => killAndWait(s.child, s.exited),
    output: (s) => s.stdout() + s.stderr(),
  })
  cleanups.push(() => killAndWait(cli.child, cli.exited))
  await waitForHealth(baseUrl, cli.child, () => output(cli))
  return { cli, baseUrl, port }
}

function output(cli: CliProcess): string {
  return `exit ${cli.child.exitCode ?? cli.child.signalCode}\nstderr: ${cli.stderr().slice(-3_000)}`
}

function upgradeRequest(path: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  )
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port })
  // The client's side of a reset may also report one; the server's is what is under test.
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return socket
}

/** Resolves with the status line once the answer's head has arrived, and what followed it. */
function responseHead(socket: net.Socket): Promise<{ status: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      socket.pause()
      resolve({
        status: head.subarray(0, head.indexOf('\r\n')).toString('latin1'),
        rest: head.subarray(end + 4),
      })
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error(`closed before an answer: ${head.toString('latin1')}`)))
  })
}

/** Sends `request` and resets at once, before the server can have answered (or while it does). */
async function resetRightAway(port: number, request: string | Buffer): Promise<void> {
  const socket = await connect(port)
  socket.write(request)
  socket.resetAndDestroy()
}

/** Sends `request`, waits until the answer's head has arrived without reading on, and resets. */
async function resetAfterAnswer(port: number, request: string, status: RegExp): Promise<void> {
  expect(await upgradeStatus(port, request)).toMatch(status)
}

/** The status line of the answer to `request`; the connection is then reset, the rest unread. */
async function upgradeStatus(port: number, request: string): Promise<string> {
  const socket = await connect(port)
  const answer = responseHead(socket)
  socket.write(request)
  const { status } = await answer
  socket.resetAndDestroy()
  return status
}

/** The server still serves: /health answers, and a new socket authenticates and gets its pong. */
async function expectServing(server: Server, user: TestUser, canvasId: string, stage: string): Promise<void> {
  expect(server.cli.child.exitCode, `${stage}: ${output(server.cli)}`).toBeNull()
  const res = await fetch(`${server.baseUrl}/health`)
  expect(res.status, `${stage}: /health`).toBe(200)
  const client = await CountingClient.connect(server.baseUrl, canvasId, { token: user.token })
  expect(await pingRoundTrip(client, 1)).toBeGreaterThan(0)
  client.close()
  await client.waitForClose()
  expect(server.cli.child.exitCode, `${stage}: ${output(server.cli)}`).toBeNull()
}

async function repeat(times: number, run: () => Promise<void>): Promise<void> {
  for (let i = 0; i < times; i++) await run()
}

describe('[W11] connection resets at every handshake stage', () => {
  it('[W11] when clients reset their connections during the request, after each kind of refusal, after the 101 and mid-frame, then the server process stays up and serving', async () => {
    const server = await startServer()
    const { port } = server
    const api = fetchClient(server.baseUrl)
    const user = await registerUser(api)
    const canvas = await createCanvas(api, user)
    const wsPath = `/ws/${canvas.id}`
    const stages: string[] = []
    const stage = async (name: string, run: () => Promise<void>) => {
      await run()
      stages.push(name)
      await expectServing(server, user, canvas.id, name)
    }

    await stage('during the request headers', () =>
      repeat(RESETS, async () => {
        await resetRightAway(port, `GET ${wsPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs`)
        await resetRightAway(port, upgradeRequest(wsPath).slice(0, -2))
        // Malformed (400) and oversized (431) heads: the HTTP server's clientError path answers.
        const malformed = `GET ${wsPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n`
        await resetRightAway(port, malformed)
        await resetAfterAnswer(port, malformed, / 400 /)
        const oversized = upgradeRequest(wsPath, `X-Big: ${'a'.repeat(20_000)}\r\n`)
        await resetRightAway(port, oversized)
        await resetAfterAnswer(port, oversized, / 431 /)
      }),
    )
    await stage('refused 404 (path)', () =>
      repeat(RESETS, async () => {
        await resetRightAway(port, upgradeRequest('/not-a-socket'))
        await resetAfterAnswer(port, upgradeRequest('/not-a-socket'), / 404 /)
      }),
    )
    const evil = 'Origin: https://evil.example\r\n'
    await stage('refused 403 (origin)', () =>
      repeat(RESETS, async () => {
        await resetRightAway(port, upgradeRequest(wsPath, evil))
        await resetAfterAnswer(port, upgradeRequest(wsPath, evil), / 403 /)
      }),
    )
    await stage('refused 400 (bad WebSocket version)', () =>
      repeat(RESETS, async () => {
        const bad = upgradeRequest(wsPath).replace('Version: 13', 'Version: 7')
        await resetRightAway(port, bad)
        await resetAfterAnswer(port, bad, / 400 /)
      }),
    )
    await stage('refused 503 (too many waiting)', async () => {
      // Fill this address's pre-auth slots (they are dropped at the auth deadline, well after this).
      const { maxUnauthenticatedPerAddress } = DEFAULT_REALTIME_LIMITS
      const waiting: net.Socket[] = []
      for (let i = 0; i < maxUnauthenticatedPerAddress; i++) {
        const socket = await connect(port)
        waiting.push(socket)
        const answer = responseHead(socket)
        socket.write(upgradeRequest(wsPath))
        expect((await answer).status).toMatch(/ 101 /)
      }
      await repeat(RESETS, async () => {
        await resetRightAway(port, upgradeRequest(wsPath))
        await resetAfterAnswer(port, upgradeRequest(wsPath), / 503 /)
      })
      for (const socket of waiting) socket.resetAndDestroy()
      // Their slots are free once the server has seen the resets.
      await expect
        .poll(() => upgradeStatus(port, upgradeRequest(wsPath)), { timeout: 10_000 })
        .toMatch(/ 101 /)
    })
    await stage('after the 101', () =>
      repeat(RESETS, async () => {
        await resetRightAway(port, upgradeRequest(wsPath))
        await resetAfterAnswer(port, upgradeRequest(wsPath), / 101 /)
      }),
    )
    await stage('mid-frame, before and after auth', () =>
      repeat(RESETS, async () => {
        // A frame header announcing 100 bytes, then 10 of them.
        const partial = clientFrame(OPCODE.text, 'x'.repeat(100)).subarray(0, 2 + 4 + 10)
        const socket = await connect(port)
        const answer = responseHead(socket)
        socket.write(upgradeRequest(wsPath))
        expect((await answer).status).toMatch(/ 101 /)
        socket.write(partial)
        socket.resetAndDestroy()

        const authed = await connect(port)
        const head = responseHead(authed)
        authed.write(upgradeRequest(wsPath))
        expect((await head).status).toMatch(/ 101 /)
        // Authenticated, asking for answers it will not read (pongs), then reset mid-frame.
        authed.write(clientFrame(OPCODE.text, JSON.stringify({ type: 'auth', token: user.token })))
        for (let i = 0; i < 20; i++)
          authed.write(clientFrame(OPCODE.text, JSON.stringify({ type: 'ping', t: i })))
        authed.write(partial)
        authed.resetAndDestroy()
      }),
    )
    reportNumbers('W11', { stages: stages.length, resetsPerVariant: RESETS })
  })

  it('[W11] when upgrades are refused with 503 during shutdown and reset, then the server still shuts down cleanly (exit 0)', async () => {
    const server = await startServer()
    const { port, cli } = server
    const api = fetchClient(server.baseUrl)
    const user = await registerUser(api)
    const canvas = await createCanvas(api, user)
    const wsPath = `/ws/${canvas.id}`
    // A socket that never reads keeps shutdown waiting for its close handshake (2 s grace).
    const stuck = await connect(port)
    const answer = responseHead(stuck)
    stuck.write(upgradeRequest(wsPath))
    expect((await answer).status).toMatch(/ 101 /)
    cli.child.kill('SIGTERM')
    // Upgrades are refused once the gateway is closing; until then they may still get a 101.
    let status = ''
    while (!/ 503 /.test(status) && cli.child.exitCode === null) {
      status = await upgradeStatus(port, upgradeRequest(wsPath))
    }
    expect(status).toMatch(/ 503 /)
    await repeat(RESETS, async () => {
      await resetRightAway(port, upgradeRequest(wsPath))
    })
    const exit = await cli.exited
    stuck.destroy()
    expect(exit, output(cli)).toEqual({ code: 0, signal: null })
    expect(cli.stderr()).not.toMatch(/Unhandled|ECONNRESET/)
  })
})

import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../../src/protocol/closeCodes.js'
import { systemClock } from '../support/clock.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import {
  CountingClient,
  forceGc,
  memory,
  memoryPeaks,
  metricValue,
  pingRoundTrip,
  reportNumbers,
  round,
  turn,
} from '../support/hardening.js'
import { OPCODE, clientFrame } from '../support/rawWebSocket.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

/**
 * [W3] Ping flood (the ws 8.23.0 proof of concept): a client that stops reading and keeps
 * sending pings makes the server queue one answer per ping. The server must cut it off once
 * those answers pile up, whether the pings are WebSocket control frames (answered by ws) or
 * `{"type":"ping"}` messages (answered by the gateway).
 */

/** Stop pinging after this many if the server has not cut the client off: the test then fails. */
const MAX_PINGS = 400_000
const PINGS_PER_TURN = 2_000
const WARM_UP_PINGS = 15_000
const RSS_GROWTH_LIMIT_MB = 20

let server: TestServer | undefined
afterEach(async () => {
  CountingClient.terminateAll()
  await server?.close()
  server = undefined
})

async function setUp() {
  server = await startTestServer({ clock: systemClock() })
  const owner = await registerUser(server.http)
  const canvas = await createCanvas(server.http, owner)
  const flooder = await CountingClient.connect(server.baseUrl, canvas.id, { token: owner.token })
  const bystander = await CountingClient.connect(server.baseUrl, canvas.id, { token: owner.token })
  expect(await metricValue(server, 'ws_connections')).toBe(2)
  return { server, flooder, bystander }
}

/**
 * Pauses the flooder's reading, then writes `ping` (one masked frame) in bursts straight to its
 * net socket, until the server has dropped the connection (the gauge falls to the bystander
 * alone) or MAX_PINGS went out. The burst is built once, so the test allocates next to nothing
 * per ping and the memory numbers are the server's. Returns the count sent and memory growth.
 */
async function flood(s: TestServer, flooder: CountingClient, bystander: CountingClient, ping: Buffer) {
  const burst = Buffer.concat(Array.from({ length: PINGS_PER_TURN }, () => ping))
  await warmUp(bystander)
  forceGc()
  const before = memory()
  const peaks = memoryPeaks(10)
  flooder.rawSocket.pause()
  const start = performance.now()
  let sent = 0
  // Cut off = gone (terminated by ws) or being closed for slowness (4009, then cut after a grace).
  const cutOff = async () =>
    (await metricValue(s, 'ws_connections')) <= 1 ||
    (await metricValue(s, 'ws_closed_abuse_total', { reason: 'slow_consumer' })) >= 1
  while (sent < MAX_PINGS && !(await cutOff())) {
    flooder.rawSocket.write(burst)
    sent += PINGS_PER_TURN
    await turn()
  }
  const peak = peaks.stop()
  return {
    sent,
    floodMs: round(performance.now() - start),
    rssGrowthMb: round(peak.rssMb - before.rssMb),
    heapGrowthMb: round(peak.heapMb - before.heapMb),
  }
}

/**
 * The same message rate from a client that reads its pongs, before measuring: V8 grows its
 * young generation under any such load (about 10 MB here), which is not the flood's doing.
 */
async function warmUp(bystander: CountingClient) {
  const text = JSON.stringify({ type: 'ping', t: 0 })
  const burst = Buffer.concat(Array.from({ length: PINGS_PER_TURN }, () => clientFrame(OPCODE.text, text)))
  const pongs = bystander.count('pong')
  for (let sent = 0; sent < WARM_UP_PINGS; sent += PINGS_PER_TURN) {
    bystander.rawSocket.write(burst)
    await turn()
  }
  await bystander.until(() => bystander.count('pong') === pongs + WARM_UP_PINGS, 30_000, 'warm-up pongs')
}

describe('[W3] ping flood', () => {
  it('[W3] when a client stops reading and floods 125-byte control pings, then it is terminated and RSS grows < 20 MB', async () => {
    const { server: s, flooder, bystander } = await setUp()
    const result = await flood(s, flooder, bystander, clientFrame(OPCODE.ping, Buffer.alloc(125, 'p')))
    reportNumbers('W3', { kind: 'control ping', ...result })
    expect(result.sent, 'the server never cut the flooding client off').toBeLessThan(MAX_PINGS)
    expect(await metricValue(s, 'ws_connections')).toBe(1)
    flooder.rawSocket.resume()
    // Terminated, not closed politely: no close frame reaches the client.
    expect((await flooder.waitForClose(10_000)).code).toBe(1006)
    expect(result.rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB)
    expect(await pingRoundTrip(bystander, 1)).toBeGreaterThan(0)
    bystander.close()
  })

  it('[W3] when a client stops reading and floods 125-byte ping messages, then it is terminated and RSS grows < 20 MB', async () => {
    const { server: s, flooder, bystander } = await setUp()
    // A valid ping padded with JSON whitespace to 125 bytes; the large t makes each pong longer.
    const text = JSON.stringify({ type: 'ping', t: 1.2345678901234567e300 })
    const payload = Buffer.from(text.padEnd(125, ' '))
    expect(payload.length).toBe(125)
    const result = await flood(s, flooder, bystander, clientFrame(OPCODE.text, payload))
    reportNumbers('W3', { kind: 'ping message', ...result })
    expect(result.sent, 'the server never cut the flooding client off').toBeLessThan(MAX_PINGS)
    expect(await metricValue(s, 'ws_closed_abuse_total', { reason: 'slow_consumer' })).toBe(1)
    await expect.poll(() => metricValue(s, 'ws_connections'), { timeout: 5_000 }).toBe(1)
    flooder.rawSocket.resume()
    // Dropped without a close handshake (docs/protocol.md names 4009, which a client that does
    // not read could only see after everything buffered before it): 1006 on the client.
    expect([1006, CLOSE_CODES.slowConsumer]).toContain((await flooder.waitForClose(10_000)).code)
    expect(result.rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB)
    expect(await pingRoundTrip(bystander, 2)).toBeGreaterThan(0)
    bystander.close()
  })
})

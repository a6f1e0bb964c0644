import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../../src/protocol/closeCodes.js'
import { DEFAULT_REALTIME_LIMITS } from '../../src/server/realtime/realtimeLimits.js'
import { systemClock } from '../support/clock.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import {
  CountingClient,
  forceGc,
  memory,
  memoryPeaks,
  metricValue,
  percentile,
  pingRoundTrip,
  reportNumbers,
  round,
  timedOps,
  turn,
} from '../support/hardening.js'
import { OPCODE, clientFrame } from '../support/rawWebSocket.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

/**
 * [W3] Ping flood (the ws 8.23.0 proof of concept): a client that stops reading and keeps
 * sending pings makes the server queue one answer per ping. The server must cut it off,
 * whether the pings are WebSocket control frames or `{"type":"ping"}` messages: every frame
 * spends from the socket's and the user's message budget (`messages`, `userMessages`), pings
 * beyond it are refused and count as strikes (4008), and a client that does not read its
 * answers also meets the send-buffer cap (4009). A client that floods pings and reads them
 * must not slow other users down either.
 */

/** Stop pinging after this many if the server has not cut the client off: the test then fails. */
const MAX_PINGS = 400_000
const PINGS_PER_TURN = 2_000
/** Within the message budget (1,500 a socket), or the warm-up would be refused as a flood. */
const WARM_UP_PINGS = 1_000
const RSS_GROWTH_LIMIT_MB = 20
/** Ops the other user times, quiet and during the flood, one at a time. */
const LATENCY_OPS = 200
/** Pings the reading flooder keeps unanswered at most (and writes at once when refused). */
const FLOOD_WINDOW = 1_000
/** The least the quiet median counts as: below it, differences are scheduling noise. */
const QUIET_FLOOR_MS = 5
/**
 * Sockets of one user that each stay within their own budget: together 19,200 pings, past the
 * user's budget (3,000 + 1,500/s) unless the server needed more than 10 s to read them.
 */
const USER_SOCKETS = 16

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
  // Cut off = gone, or being closed for flooding (4008) or slowness (4009) and cut after a grace.
  const cutOff = async () =>
    (await metricValue(s, 'ws_connections')) <= 1 || (await metricValue(s, 'ws_closed_abuse_total')) >= 1
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
 * Pings from a client that reads its pongs, before measuring: V8 grows its young generation
 * under any such load, which is not the flood's doing.
 */
async function warmUp(bystander: CountingClient) {
  const text = JSON.stringify({ type: 'ping', t: 0 })
  const burst = Buffer.concat(Array.from({ length: WARM_UP_PINGS }, () => clientFrame(OPCODE.text, text)))
  const pongs = bystander.count('pong')
  bystander.rawSocket.write(burst)
  await bystander.until(() => bystander.count('pong') === pongs + WARM_UP_PINGS, 30_000, 'warm-up pongs')
}

describe('[W3] ping flood', () => {
  it('[W3] when a client stops reading and floods 125-byte control pings, then it is closed for flooding, terminated, and RSS grows < 20 MB', async () => {
    const { server: s, flooder, bystander } = await setUp()
    const result = await flood(s, flooder, bystander, clientFrame(OPCODE.ping, Buffer.alloc(125, 'p')))
    reportNumbers('W3', { kind: 'control ping', ...result })
    expect(result.sent, 'the server never cut the flooding client off').toBeLessThan(MAX_PINGS)
    // Pings beyond the message budget got no pong and counted as strikes.
    expect(await metricValue(s, 'ws_closed_abuse_total', { reason: 'flood' })).toBe(1)
    // It never answers the close frame: cut after the close grace.
    await expect.poll(() => metricValue(s, 'ws_connections'), { timeout: 5_000 }).toBe(1)
    flooder.rawSocket.resume()
    // Terminated rather than closed: the close frame reaches the client only if the reset did not
    // overtake it (the server drops what the client still sends).
    expect([1006, CLOSE_CODES.flood]).toContain((await flooder.waitForClose(10_000)).code)
    expect(result.rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB)
    expect(await pingRoundTrip(bystander, 1)).toBeGreaterThan(0)
    bystander.close()
  })

  it('[W3] when a client stops reading and floods 125-byte ping messages, then it is closed for flooding, terminated, and RSS grows < 20 MB', async () => {
    const { server: s, flooder, bystander } = await setUp()
    // A valid ping padded with JSON whitespace to 125 bytes; the large t makes each pong longer.
    const text = JSON.stringify({ type: 'ping', t: 1.2345678901234567e300 })
    const payload = Buffer.from(text.padEnd(125, ' '))
    expect(payload.length).toBe(125)
    const result = await flood(s, flooder, bystander, clientFrame(OPCODE.text, payload))
    reportNumbers('W3', { kind: 'ping message', ...result })
    expect(result.sent, 'the server never cut the flooding client off').toBeLessThan(MAX_PINGS)
    expect(await metricValue(s, 'ws_closed_abuse_total', { reason: 'flood' })).toBe(1)
    await expect.poll(() => metricValue(s, 'ws_connections'), { timeout: 5_000 }).toBe(1)
    flooder.rawSocket.resume()
    // Dropped without a close handshake (docs/protocol.md names 4008, which a client that does
    // not read could only see after everything buffered before it): 1006 on the client.
    const closed = await flooder.waitForClose(10_000)
    expect([1006, CLOSE_CODES.flood]).toContain(closed.code)
    // At most the budget was answered (what the flood's duration refilled, plus 1 s of slack).
    const { messages } = DEFAULT_REALTIME_LIMITS
    expect(flooder.count('pong')).toBeLessThanOrEqual(
      messages.capacity + messages.refillPerSec * (result.floodMs / 1000 + 1),
    )
    expect(result.rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB)
    expect(await pingRoundTrip(bystander, 2)).toBeGreaterThan(0)
    bystander.close()
  })

  it('[W3] when a client that reads floods ping messages as fast as it can, reconnecting whenever its socket is closed, then the op acks of another user stay within 2× of their quiet median', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const attacker = await registerUser(s.http)
    const editor = await registerUser(s.http)
    // Separate canvases: the flooder's joins and leaves are no presence traffic for the editor.
    const attackerCanvas = await createCanvas(s.http, attacker)
    const editorCanvas = await createCanvas(s.http, editor)
    const member = await CountingClient.connect(s.baseUrl, editorCanvas.id, { token: editor.token })
    // Warm-up (JIT, SQLite page cache), then the quiet baseline.
    await timedOps(member, 'warm', (n) => n < LATENCY_OPS / 4)
    const quiet = (await timedOps(member, 'quiet', (n) => n < LATENCY_OPS)).map((t) => t.ms)

    const stats = { connects: 0, frames: 0, answers: 0, closeCodes: new Map<number, number>() }
    let stop = false
    const flood = (async () => {
      let flooder: Flooder | undefined
      while (!stop) {
        // Cut off = closed, or told so (the server reads nothing more from it).
        if (!flooder || flooder.cutOff()) {
          if (flooder) {
            // Like any client, it reconnects once its socket is closed. (One that abandons its
            // sockets and reconnects at once is a connection flood: docs/reliability.md.)
            const close = await flooder.client.waitForClose(10_000)
            stats.closeCodes.set(close.code, (stats.closeCodes.get(close.code) ?? 0) + 1)
            stats.answers += flooder.answers()
            stats.frames += flooder.sent
          }
          flooder = new Flooder(
            await CountingClient.connect(s.baseUrl, attackerCanvas.id, { token: attacker.token }),
          )
          stats.connects++
        }
        await flooder.step()
      }
      flooder?.client.terminate()
    })()
    let during: number[]
    try {
      during = (await timedOps(member, 'during', (n) => n < LATENCY_OPS)).map((t) => t.ms)
    } finally {
      stop = true
      await flood
    }

    const quietMedian = percentile(quiet, 50)
    const duringMedian = percentile(during, 50)
    reportNumbers('W3', {
      kind: 'reading flooder, other user latency',
      ops: LATENCY_OPS,
      quietMedianMs: round(quietMedian),
      quietP95Ms: round(percentile(quiet, 95)),
      duringMedianMs: round(duringMedian),
      duringP95Ms: round(percentile(during, 95)),
      flooderConnects: stats.connects,
      framesSent: stats.frames,
      pongsReceived: stats.answers,
      closeCodes: Object.fromEntries(stats.closeCodes),
    })
    // The flooder was cut off for flooding, every time it got that far.
    expect(stats.closeCodes.get(CLOSE_CODES.flood) ?? 0).toBeGreaterThanOrEqual(1)
    expect([...stats.closeCodes.keys()].filter((code) => code !== CLOSE_CODES.flood)).toEqual([])
    expect(member.errors).toEqual([])
    // Medians over many ops; the quiet one counted as at least QUIET_FLOOR_MS so that a very fast
    // quiet run does not turn scheduling noise on two shared cores into a failure.
    expect(duringMedian).toBeLessThanOrEqual(2 * Math.max(quietMedian, QUIET_FLOOR_MS))
  })
  it('[W3] when one user pings from 16 sockets, each within its own budget, then the user budget caps them together and other users are not refused', async () => {
    server = await startTestServer({ clock: systemClock() })
    const s = server
    const user = await registerUser(s.http)
    const other = await registerUser(s.http)
    const canvas = await createCanvas(s.http, user)
    const otherCanvas = await createCanvas(s.http, other)
    const { messages, userMessages } = DEFAULT_REALTIME_LIMITS
    const perSocket = Math.floor(messages.capacity * 0.8)
    const sockets = await Promise.all(
      Array.from({ length: USER_SOCKETS }, () =>
        CountingClient.connect(s.baseUrl, canvas.id, { token: user.token }),
      ),
    )
    const bystander = await CountingClient.connect(s.baseUrl, otherCanvas.id, { token: other.token })
    const burst = Buffer.concat(
      Array.from({ length: perSocket }, () =>
        clientFrame(OPCODE.text, JSON.stringify({ type: 'ping', t: 1 })),
      ),
    )
    const start = performance.now()
    for (const c of sockets) c.rawSocket.write(burst)
    // Each socket is answered in full, or refused once the user's budget is spent (and then,
    // past 200 strikes, closed for flooding).
    await Promise.all(
      sockets.map((c) =>
        c.until(
          () => c.count('pong') >= perSocket || c.errors.some((e) => e.code === 'rate_limited'),
          20_000,
          'all pongs or a refusal',
        ),
      ),
    )
    const elapsedMs = performance.now() - start
    const pongs = sockets.reduce((sum, c) => sum + c.count('pong'), 0)
    const refused = await metricValue(s, 'ws_messages_in_total', { type: 'refused' })
    reportNumbers('W3', {
      kind: 'one user, many sockets',
      sockets: USER_SOCKETS,
      sent: USER_SOCKETS * perSocket,
      pongs,
      refused,
      elapsedMs: round(elapsedMs),
    })
    // Every socket stayed within its own budget; together they passed the user's.
    expect(perSocket).toBeLessThanOrEqual(messages.capacity)
    expect(USER_SOCKETS * perSocket).toBeGreaterThan(userMessages.capacity)
    expect(pongs).toBeLessThanOrEqual(
      userMessages.capacity + userMessages.refillPerSec * (elapsedMs / 1000 + 1),
    )
    expect(refused).toBeGreaterThanOrEqual(1)
    expect(sockets.some((c) => c.errors.some((e) => e.code === 'rate_limited'))).toBe(true)
    // Another user has a budget of its own.
    expect(await pingRoundTrip(bystander, 7)).toBeGreaterThan(0)
    expect(bystander.errors).toEqual([])
  })
})

/**
 * The fastest flood of `{"type":"ping"}` messages that reads its answers: up to FLOOD_WINDOW
 * unanswered at a time, so that it never trips the send-buffer cap (a client on a fast network
 * reads as fast as the server writes). Once the server refuses its pings (rate_limited), nothing
 * comes back to wait for: it then writes blindly, as fast as the socket takes it. (Control pings
 * go through the same budget; ws alone already cut a socket with 60 unanswered, and the tests
 * above flood them.)
 */
class Flooder {
  sent = 0
  private static readonly ping = clientFrame(OPCODE.text, JSON.stringify({ type: 'ping', t: 1 }))
  private static readonly burst = Buffer.concat(Array.from({ length: FLOOD_WINDOW }, () => Flooder.ping))

  constructor(readonly client: CountingClient) {}

  answers(): number {
    return this.client.count('pong')
  }

  cutOff(): boolean {
    return this.client.closeInfo !== undefined || this.client.errors.some((e) => /closing/.test(e.message))
  }

  async step(): Promise<void> {
    const { client } = this
    const refused = client.errors.some((e) => e.code === 'rate_limited')
    const room = refused ? FLOOD_WINDOW : FLOOD_WINDOW - (this.sent - this.answers())
    if (room > 0) {
      this.sent += room
      const written = client.rawSocket.write(Flooder.burst.subarray(0, room * Flooder.ping.length))
      if (!written) await drainedOrClosed(client)
    }
    if (refused) return turn()
    const answered = this.answers()
    const errors = client.errors.length
    await client.until(
      () => this.answers() > answered || client.errors.length > errors || client.closeInfo !== undefined,
      20_000,
      'an answer to the flood',
    )
  }
}

/** Resolves when the socket can take more, or is gone. */
function drainedOrClosed(client: CountingClient): Promise<void> {
  return new Promise((resolve) => {
    const socket = client.rawSocket
    const done = () => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.once('drain', done)
    socket.once('close', done)
    if (socket.destroyed) done()
  })
}

import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_REALTIME_LIMITS } from '../../src/server/realtime/realtimeLimits.js'
import { systemClock } from '../support/clock.js'
import { createCanvas, registerUser, type TestUser } from '../support/fixtures.js'
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
import { OPCODE, RawWebSocket, clientFrame } from '../support/rawWebSocket.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

/**
 * [W2] Size limits: an oversized message is refused from its header, a message may not be cut
 * into more than `maxFragments` pieces, and a message that never ends cannot pin memory
 * (the ws#2331 pattern: endless 1-byte continuation frames).
 */

const { maxPayloadBytes, maxFragments } = DEFAULT_REALTIME_LIMITS

let server: TestServer | undefined
afterEach(async () => {
  CountingClient.terminateAll()
  RawWebSocket.destroyAll()
  await server?.close()
  server = undefined
})

async function setUp() {
  server = await startTestServer({ clock: systemClock() })
  const owner = await registerUser(server.http)
  const canvas = await createCanvas(server.http, owner)
  return { server, owner, canvasId: canvas.id }
}

/** A hand-made client that has authenticated: the attacks come from a signed-in account. */
async function rawAuthenticated(s: TestServer, canvasId: string, user: TestUser): Promise<RawWebSocket> {
  const raw = await RawWebSocket.connect(s.baseUrl, `/ws/${canvasId}`)
  raw.sendText(JSON.stringify({ type: 'auth', token: user.token }))
  await raw.until(
    () => raw.messages().some((m) => (m as { type: string }).type === 'auth-success'),
    10_000,
    'auth-success',
  )
  return raw
}

/** Sends `count` continuation fragments of 1 byte (no FIN) in writes of 1,000 frames, until closed. */
async function streamFragments(raw: RawWebSocket, count: number): Promise<number> {
  const chunk = Buffer.concat(
    Array.from({ length: 1_000 }, () => clientFrame(OPCODE.continuation, 'a', false)),
  )
  let sent = 0
  while (sent < count && raw.closeCode === undefined && !raw.ended) {
    raw.write(chunk)
    sent += 1_000
    // Let the in-process server read before writing more.
    await turn()
  }
  return sent
}

describe('[W2] size limits', () => {
  it('[W2] when a text message is maxPayload + 1 bytes, then the socket is closed with 1009 at once and the server keeps serving', async () => {
    const { server: s, owner, canvasId } = await setUp()
    const attacker = await CountingClient.connect(s.baseUrl, canvasId, { token: owner.token })
    const bystander = await CountingClient.connect(s.baseUrl, canvasId, { token: owner.token })

    // Exactly maxPayload bytes is still a message: read, refused as invalid JSON, socket open.
    attacker.socket.send(Buffer.alloc(maxPayloadBytes, 'a'), { binary: false })
    await attacker.until(() => attacker.errors.length === 1, 10_000, 'error frame')
    expect(attacker.errors[0]?.code).toBe('invalid_input')
    expect(attacker.closeInfo).toBeUndefined()

    const start = performance.now()
    attacker.socket.send(Buffer.alloc(maxPayloadBytes + 1, 'a'), { binary: false })
    const closed = await attacker.waitForClose(5_000)
    const closeMs = closed.at - start
    reportNumbers('W2', { oversizeCloseMs: round(closeMs), limitMs: 100 })
    expect(closed.code).toBe(1009)
    // reliability.md asks 100 ms; asserted with room for a loaded CI machine, the value is logged.
    expect(closeMs).toBeLessThan(1_000)
    expect(await metricValue(s, 'ws_connections')).toBeGreaterThanOrEqual(1)
    expect(await pingRoundTrip(bystander, 1)).toBeGreaterThan(0)
    bystander.close()
  })

  it('[W2] when one message is sent as 16,385 fragments, then the socket is closed (1008) after maxFragments', async () => {
    const { server: s, owner, canvasId } = await setUp()
    const raw = await rawAuthenticated(s, canvasId, owner)
    const frames = [clientFrame(OPCODE.text, '{', false)]
    for (let i = 1; i < 16_384; i++) frames.push(clientFrame(OPCODE.continuation, ' ', false))
    frames.push(clientFrame(OPCODE.continuation, '}', true))
    expect(frames).toHaveLength(16_385)
    raw.write(Buffer.concat(frames))
    await raw.until(() => raw.ended, 10_000, 'the server closing the connection')
    expect(raw.closeCode).toBe(1008)
    // The message was never delivered: no answer to it, only auth-success before the close.
    expect(raw.messages().map((m) => (m as { type: string }).type)).toEqual(['auth-success'])
    await expect.poll(() => metricValue(s, 'ws_connections')).toBe(0)
    expect(maxFragments).toBeLessThan(16_385)
  })

  it('[W2] when 10 clients stream 1-byte fragments without FIN, then each is closed and server heap grows < 5 MB per connection', async () => {
    const { server: s, owner, canvasId } = await setUp()
    const attackers = 10
    const raws = await Promise.all(
      Array.from({ length: attackers }, () => rawAuthenticated(s, canvasId, owner)),
    )
    const bystander = await CountingClient.connect(s.baseUrl, canvasId, { token: owner.token })
    forceGc()
    const before = memory()
    const peaks = memoryPeaks(5)
    for (const raw of raws) raw.write(clientFrame(OPCODE.text, 'a', false))
    const sent = await Promise.all(raws.map((raw) => streamFragments(raw, 1_000_000)))
    await Promise.all(
      raws.map((raw) => raw.until(() => raw.ended, 10_000, 'the server closing the connection')),
    )
    const peak = peaks.stop()
    forceGc()
    const after = memory()
    const peakGrowthPerConnection = (peak.heapMb - before.heapMb) / attackers
    const retainedPerConnection = (after.heapMb - before.heapMb) / attackers
    reportNumbers('W2', {
      attackers,
      fragmentsSentPerAttacker: Math.max(...sent),
      heapBeforeMb: round(before.heapMb),
      heapPeakMb: round(peak.heapMb),
      heapAfterGcMb: round(after.heapMb),
      peakGrowthPerConnectionMb: round(peakGrowthPerConnection),
      retainedPerConnectionMb: round(retainedPerConnection),
    })
    for (const raw of raws) expect(raw.closeCode).toBe(1008)
    // Closed on the first write: far fewer fragments than the stream had to offer.
    expect(Math.max(...sent)).toBeLessThan(1_000_000)
    expect(peakGrowthPerConnection).toBeLessThan(5)
    expect(retainedPerConnection).toBeLessThan(5)
    await expect.poll(() => metricValue(s, 'ws_connections')).toBe(1)
    expect(await pingRoundTrip(bystander, 2)).toBeGreaterThan(0)
    bystander.close()
  })
})

import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../../src/protocol/closeCodes.js'
import { systemClock } from '../support/clock.js'
import { CountingClient, reportNumbers } from '../support/hardening.js'
import { sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

/**
 * [W5 joins] A reconnect loop is a flood too: each join sends the canvas's state and tells every
 * other member someone came and went. A user's joins spend a budget of their own; past it the
 * handshake is refused with rate_limited and 4029 (the client backs off and retries), while the
 * other members see a bounded number of presence changes and go on editing.
 */

let server: TestServer | undefined
afterEach(async () => {
  CountingClient.terminateAll()
  await server?.close()
  server = undefined
})

const JOINS = { capacity: 10, refillPerSec: 4 }

/** One join attempt: resolves with auth-success, or with the refusal's error and close code. */
async function tryJoin(baseUrl: string, canvasId: string, token: string) {
  const client = await CountingClient.connect(baseUrl, canvasId, { authenticate: false })
  client.send({ type: 'auth', token })
  await client.until(
    () => client.authSuccess !== undefined || client.closeInfo !== undefined,
    10_000,
    'joined or closed',
  )
  if (client.authSuccess) {
    client.close()
    await client.waitForClose()
    return { joined: true as const }
  }
  return { joined: false as const, error: client.errors[0]?.code, close: client.closeInfo?.code }
}

describe('[W5 joins] reconnect floods', () => {
  it('[W5 joins] when one user joins and leaves in a tight loop, then past the join budget each attempt is refused with rate_limited and 4029, the other member sees a bounded number of presence changes and still edits; later the user joins again', async () => {
    server = await startTestServer({ clock: systemClock(), realtimeLimits: { userJoins: JOINS } })
    const s = server
    const { owner, members, canvas } = await sharedCanvas(s.http, ['editor'])
    const flooder = members[0]
    if (!flooder) throw new Error('no member')
    const watcher = await CountingClient.connect(s.baseUrl, canvas.id, { token: owner.token })

    const ATTEMPTS = 60
    const outcomes = []
    const started = performance.now()
    for (let i = 0; i < ATTEMPTS; i++) outcomes.push(await tryJoin(s.baseUrl, canvas.id, flooder.token))
    const loopSec = (performance.now() - started) / 1000
    const joined = outcomes.filter((o) => o.joined).length
    const refused = outcomes.filter((o) => !o.joined)
    for (const r of refused)
      expect(r).toEqual({ joined: false, error: 'rate_limited', close: CLOSE_CODES.tooManyConnections })
    // The burst, plus what refilled while the loop ran, never more.
    expect(joined).toBeGreaterThanOrEqual(JOINS.capacity)
    expect(joined).toBeLessThanOrEqual(JOINS.capacity + Math.ceil(JOINS.refillPerSec * loopSec))
    expect(refused.length).toBeGreaterThan(0)

    // The watcher still edits, and saw at most one arrival per served join.
    watcher.send({ type: 'object-create', opId: 'after-flood', object: { id: 'after-flood', type: 'rect' } })
    await watcher.until(() => watcher.acks.has('after-flood'), 10_000, 'ack')
    expect(watcher.count('user-connected')).toBeLessThanOrEqual(joined)
    reportNumbers('W5 joins', {
      attempts: ATTEMPTS,
      loopSec: Math.round(loopSec * 10) / 10,
      joined,
      refused: refused.length,
      watcherSawConnected: watcher.count('user-connected'),
      watcherSawDisconnected: watcher.count('user-disconnected'),
    })

    // Backing off a second refills the budget: the user is not locked out.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await tryJoin(s.baseUrl, canvas.id, flooder.token)).toEqual({ joined: true })
  })
})

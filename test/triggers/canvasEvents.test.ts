import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { runCli } from '../support/cli.js'
import { createCanvas, registerUser, shareCanvas } from '../support/fixtures.js'
import { tempDir } from '../support/tempDir.js'
import { generateKey, readInbox, withKey, type InboxEvent, type TestKey } from '../support/triggerFixtures.js'
import { startServerProcess, type ServerProcess } from '../support/triggerServerProcess.js'
import { WsTestClient } from '../support/wsTestClient.js'

// [CEV1] Canvas events from the op log, with a real server process killed with SIGKILL between
// two rounds of edits. Needs the built CLI (npm run build; npm test builds first).

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const ROUNDS = 2
const OPS_PER_CLIENT = 15
const KILL_AFTER_ACKS = 12

async function objectEvents(baseUrl: string, key: TestKey): Promise<InboxEvent[]> {
  const all = await readInbox(fetchClient(baseUrl), key, '', 200)
  return all.filter((e) => e.type.startsWith('canvas.object.'))
}

describe('canvas events', () => {
  it('[CEV1] when two WebSocket clients and an HTTP action edit a canvas, with a SIGKILL and restart in the middle, then each change is exactly one event, in seq order', async () => {
    const dir = tempDir('collabcanvas-cev-')
    cleanups.push(() => dir.remove())
    let server: ServerProcess = await startServerProcess(dir.path)
    cleanups.push(() => server.kill())
    let api = fetchClient(server.baseUrl)
    const owner = await registerUser(api)
    const editor = await registerUser(api)
    const canvas = await createCanvas(api, owner, 'Review board')
    await shareCanvas(api, owner, canvas.id, editor, 'editor')
    const key = await generateKey(api, owner)
    // The operator's command, against the running server's database.
    const tier = await runCli(['keys', 'set-tier', key.prefix, 'enterprise'], {
      DATA_DIR: dir.path,
      LOG_LEVEL: 'silent',
    })
    expect(tier.stdout, tier.stderr).toContain('is now enterprise')
    expect(tier.code).toBe(0)

    const ackedSeqs: number[] = []
    let killAt: (() => void) | undefined
    for (let round = 0; round < ROUNDS; round++) {
      // Round 0 is cut short: the server is killed once KILL_AFTER_ACKS edits are acked, while
      // more are in flight and the consumer is at work.
      const killed = new Promise<void>((resolve) => {
        killAt = round === 0 ? resolve : undefined
      })
      const clients = await Promise.all(
        [owner, editor].map((u) => WsTestClient.connect(server.baseUrl, canvas.id, { token: u.token })),
      )
      const edits = clients.map(async (client, c) => {
        for (let i = 0; i < OPS_PER_CLIENT; i++) {
          const opId = randomUUID()
          const id = `r${round}-c${c}-${i}`
          client.send({ type: 'object-create', opId, object: { id, type: 'rect', x: i, y: c } })
          const ack = await client.waitForAck(opId, 15_000)
          ackedSeqs.push((ack as { seq: number }).seq)
          if (ackedSeqs.length === KILL_AFTER_ACKS) killAt?.()
        }
      })
      const action = (async () => {
        const res = await api.send<{ seq: number }>(
          withKey(key, {
            method: 'POST',
            url: `/api/canvases/${canvas.id}/objects`,
            json: { object: { type: 'text', text: `from Zapier ${round}` } },
          }),
        )
        expect(res.status, res.text).toBe(201)
        ackedSeqs.push(res.body.seq)
      })()
      // Settled from now on: the edits in flight at the kill reject, and that is expected.
      const settled = Promise.allSettled([...edits, action])
      if (round === 0) {
        await killed
        await server.kill()
        // Edits in flight at the kill fail on their side; whether the log kept them is the log's
        // business (an op is only promised once acked): below, every entry the log holds counts.
        await settled
        for (const client of clients) client.terminate()
        server = await startServerProcess(dir.path)
        api = fetchClient(server.baseUrl)
      } else {
        await Promise.all([...edits, action])
        for (const client of clients) client.close()
      }
    }
    const state = await api.send<{ seq: number }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: owner.token,
    })
    const head = state.body.seq
    const everySeq = Array.from({ length: head }, (_, i) => i + 1)
    expect(head).toBeGreaterThanOrEqual(ackedSeqs.length)
    await expect
      .poll(async () => (await objectEvents(server.baseUrl, key)).length, { timeout: 30_000, interval: 200 })
      .toBe(head)
    const events = await objectEvents(server.baseUrl, key)
    // One event per log entry, oldest first in seq order; every acked edit among them.
    expect(events.map((e) => e.payload.seq as number)).toEqual(everySeq)
    expect(everySeq).toEqual(expect.arrayContaining(ackedSeqs))
    expect(new Set(events.map((e) => e.id)).size).toBe(head)
    expect(events.every((e) => e.type === 'canvas.object.created' && e.payload.canvasId === canvas.id)).toBe(
      true,
    )
    expect(events.some((e) => e.payload.userId === editor.id)).toBe(true)
    expect(
      events.filter((e) => (e.payload.object as { type: string }).type === 'text').length,
    ).toBeGreaterThanOrEqual(1)
  })
})

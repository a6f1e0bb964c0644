import { afterEach, describe, expect, it } from 'vitest'
import type { SelectionsMessage } from '../../src/protocol/messages.js'
import { systemClock } from '../support/clock.js'
import { sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient, type Received } from '../support/wsTestClient.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const selectionOf = (userId: string, ids: readonly string[]) => (m: Received) =>
  m.type === 'selections' &&
  m.selections.some((s) => s.userId === userId && JSON.stringify(s.ids) === JSON.stringify(ids))

describe('selections', () => {
  it('[GW7] when a viewer selects objects and then leaves, then the editor sees the selection and then sees it cleared', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['viewer'])
    const viewer = members[0]!
    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: viewer.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    await a.waitFor((m) => m.type === 'user-connected' && m.userId === owner.id)

    a.send({ type: 'selection', ids: ['r1', 'r2'] })
    const seen = await b.waitFor<SelectionsMessage>(selectionOf(viewer.id, ['r1', 'r2']))
    expect(seen.selections).toEqual([{ userId: viewer.id, ids: ['r1', 'r2'] }])

    // A third socket gets the current selections right after its welcome.
    const c = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    await c.waitFor(selectionOf(viewer.id, ['r1', 'r2']))
    c.close()

    a.close()
    // Presence and selections go out on different ticks: either may come first.
    await b.waitFor(selectionOf(viewer.id, []))
    await expect.poll(() => b.all('user-disconnected').map((m) => m.userId)).toEqual([viewer.id])
    const state = await server.http.send<{ seq: number }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: owner.token,
    })
    expect(state.body.seq).toBe(0) // presence, not in the log
    b.close()
  })

  it('[GW7] when a user clears the selection, then the others get an empty list', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0]!
    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    a.send({ type: 'selection', ids: ['r1'] })
    await b.waitFor(selectionOf(editor.id, ['r1']))
    a.send({ type: 'selection', ids: [] })
    await b.waitFor(selectionOf(editor.id, []))
    a.close()
    b.close()
  })

  it('[GW3][PROTO17] when a selection frame is invalid, then it gets invalid_input and the socket stays open', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: members[0]!.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    a.send({ type: 'selection', ids: ['not an id'] })
    expect(await a.waitForError()).toMatchObject({ code: 'invalid_input', field: 'ids[0]' })
    a.send({ type: 'selection', ids: Array.from({ length: 501 }, (_, i) => `o${i}`) })
    expect(await a.waitForError()).toMatchObject({ code: 'invalid_input', field: 'ids' })
    a.send({ type: 'ping', t: 7 })
    await a.waitFor((m) => m.type === 'pong' && m.t === 7)
    a.send({ type: 'selection', ids: ['ok'] })
    await b.waitFor(selectionOf(members[0]!.id, ['ok']))
    a.close()
    b.close()
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import type { ViewportsMessage } from '../../src/protocol/messages.js'
import { systemClock } from '../support/clock.js'
import { sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient, type Received } from '../support/wsTestClient.js'

// [PROTO19][VIEW1–VIEW3] viewports: what each member sees, relayed like cursors so the others can
// follow it; presence, never logged.

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const viewportOf = (userId: string, x: number) => (m: Received) =>
  m.type === 'viewports' && m.viewports.some((v) => v.userId === userId && v.x === x)

describe('viewports', () => {
  it('[PROTO19][VIEW3] when a viewer pans, then the editor gets the viewport, a later joiner gets it after its welcome, and nothing is logged', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['viewer'])
    const viewer = members[0]!
    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: viewer.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })

    a.send({ type: 'viewport', x: -120.5, y: 40, width: 1280, height: 800 })
    const seen = await b.waitFor<ViewportsMessage>(viewportOf(viewer.id, -120.5))
    expect(seen.viewports).toEqual([{ userId: viewer.id, x: -120.5, y: 40, width: 1280, height: 800 }])

    const c = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    await c.waitFor(viewportOf(viewer.id, -120.5))
    expect(c.received.findIndex((m) => m.type === 'auth-success')).toBeLessThan(
      c.received.findIndex((m) => m.type === 'viewports'),
    )
    c.close()

    // Gone with its user: a later joiner is not sent a viewport nobody can follow [VIEW2].
    a.close()
    await b.waitFor((m) => m.type === 'user-disconnected' && m.userId === viewer.id)
    const d = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    d.send({ type: 'ping', t: 1 })
    await d.waitFor((m) => m.type === 'pong')
    expect(d.all('viewports').flatMap((m) => m.viewports.map((v) => v.userId))).not.toContain(viewer.id)
    const state = await server.http.send<{ seq: number }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: owner.token,
    })
    expect(state.body.seq).toBe(0)
    b.close()
    d.close()
  })

  it('[PROTO19][GW3] when viewport frames are malformed, oversized or hostile, then each gets invalid_input, nothing is relayed and the socket stays open', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0]!
    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    const hostile = [
      '{"type":"viewport","x":NaN,"y":0,"width":800,"height":600}',
      '{"type":"viewport","x":1e400,"y":0,"width":800,"height":600}',
      '{"type":"viewport","x":0,"y":0,"width":1e300,"height":600}',
      '{"type":"viewport","x":"0","y":0,"width":800,"height":600}',
      '{"type":"viewport","x":0,"y":0,"width":0,"height":600}',
      '{"type":"viewport","x":0,"y":0,"width":800}',
      '{"type":"viewport","x":0,"y":0,"width":800,"height":600,"userId":"x"}',
      `{"type":"viewport","x":0,"y":0,"width":800,"height":600,"pad":"${'x'.repeat(20_000)}"}`,
    ]
    for (const text of hostile) {
      a.sendRaw(text)
      expect(await a.waitForError()).toMatchObject({ code: 'invalid_input' })
    }
    a.send({ type: 'viewport', x: 7, y: 7, width: 800, height: 600 })
    await b.waitFor(viewportOf(editor.id, 7))
    // The valid one is the only viewport the others ever saw.
    expect(b.all('viewports').flatMap((m) => m.viewports)).toEqual([
      { userId: editor.id, x: 7, y: 7, width: 800, height: 600 },
    ])
    a.close()
    b.close()
  })

  it('[PROTO19][VIEW1] when a client floods viewports, then the others get them coalesced (far fewer frames, the latest last) and a flood past the cursor budget is refused, not relayed', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0]!
    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    // Within the cursor bucket (120): all accepted, coalesced per tick.
    for (let i = 1; i <= 100; i++) a.send({ type: 'viewport', x: i, y: 0, width: 800, height: 600 })
    await b.waitFor(viewportOf(editor.id, 100))
    const frames = b.all('viewports')
    expect(frames.length).toBeLessThan(20)
    expect(frames.at(-1)?.viewports).toEqual([{ userId: editor.id, x: 100, y: 0, width: 800, height: 600 }])
    // Past it: dropped like cursors (a strike each), the socket stays usable once it refills.
    for (let i = 1; i <= 150; i++) a.send({ type: 'viewport', x: 1000 + i, y: 0, width: 800, height: 600 })
    a.send({ type: 'ping', t: 2 })
    await a.waitFor((m) => m.type === 'pong' && m.t === 2)
    await expect
      .poll(() => b.all('viewports').flatMap((m) => m.viewports.filter((v) => v.x > 1000)).length > 0)
      .toBe(true)
    const relayed = b.all('viewports').flatMap((m) => m.viewports.filter((v) => v.x > 1000))
    expect(relayed.length).toBeLessThan(150)
    expect(a.closeInfo).toBeUndefined()
    a.close()
    b.close()
  })
})

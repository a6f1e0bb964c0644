import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../support/clock.js'
import { createCanvas, registerUser, shareCanvas } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient } from '../support/wsTestClient.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('a canvas room', () => {
  it('[ROOM1] when the owner creates and updates an object, then the editor sees both in seq order and the owner gets acks', async () => {
    server = await startTestServer({ clock: systemClock() })
    const owner = await registerUser(server.http)
    const editor = await registerUser(server.http)
    const canvas = await createCanvas(server.http, owner)
    await shareCanvas(server.http, owner, canvas.id, editor, 'editor')

    const a = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    const b = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    expect(b.authSuccess?.users.map((u) => u.userId).sort()).toEqual([owner.id, editor.id].sort())
    await a.waitFor((m) => m.type === 'user-connected' && m.userId === editor.id)

    a.send({
      type: 'object-create',
      opId: 'c1',
      object: { id: 'r1', type: 'rect', x: 1, y: 2, width: 3, height: 4 },
    })
    a.send({ type: 'object-update', opId: 'u1', id: 'r1', changes: { fill: '#ff0000' } })
    expect((await a.waitForAck('c1')).seq).toBe(1)
    expect((await a.waitForAck('u1')).seq).toBe(2)
    const created = await b.waitFor((m) => m.type === 'object-created')
    const updated = await b.waitFor((m) => m.type === 'object-updated')
    expect(created).toMatchObject({ seq: 1, userId: owner.id, object: { id: 'r1', x: 1, version: 1 } })
    expect(updated).toMatchObject({ seq: 2, id: 'r1', changes: { fill: '#ff0000' } })
    expect(a.all('object-created')).toHaveLength(0)

    const state = await server.http.send<{ seq: number; objects: { id: string; fill?: string }[] }>({
      method: 'GET',
      url: `/api/canvases/${canvas.id}/state`,
      token: editor.token,
    })
    expect(state.body).toMatchObject({ seq: 2, objects: [{ id: 'r1', fill: '#ff0000' }] })
    a.close()
    b.close()
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { presenceColor } from '../../src/core/presenceColor.js'
import { systemClock } from '../support/clock.js'
import { createCanvas, registerUser, shareCanvas } from '../support/fixtures.js'
import { sharedCanvas } from '../support/sharedCanvas.js'
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

describe('presence', () => {
  it('[PRES1][PRES2][PRES3] when four users join one by one, then each auth-success lists everyone present with role and state, and each earlier member hears each join once', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor', 'editor', 'viewer'])
    const users = [owner, ...members]
    const roles = ['owner', 'editor', 'editor', 'viewer']
    const seed = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })
    seed.send({ type: 'object-create', opId: 'seed', object: { id: 'seed', type: 'ellipse', x: 5 } })
    await seed.waitForAck('seed')
    seed.close()
    await expect.poll(() => server?.app.realtime.rooms.peek(canvas.id)?.size).toBe(0)

    const clients: WsTestClient[] = []
    for (const [i, user] of users.entries()) {
      const client = await WsTestClient.connect(server.baseUrl, canvas.id, { token: user.token })
      expect(client.authSuccess).toMatchObject({
        userId: user.id,
        username: user.username,
        color: presenceColor(user.id),
        role: roles[i],
        seq: 1,
        objects: [{ id: 'seed', type: 'ellipse', x: 5, createdBy: owner.id, version: 1 }],
      })
      expect(client.authSuccess?.resumed).toBeUndefined()
      const expected = users
        .slice(0, i + 1)
        .map((u) => ({ userId: u.id, username: u.username, color: presenceColor(u.id) }))
      expect(sortById(client.authSuccess?.users ?? [])).toEqual(sortById(expected))
      for (const earlier of clients) {
        expect(await earlier.waitFor((m) => m.type === 'user-connected')).toEqual({
          type: 'user-connected',
          userId: user.id,
          username: user.username,
          color: presenceColor(user.id),
        })
      }
      clients.push(client)
    }

    // The last one leaves: everyone else hears it once, and nothing else came about presence.
    const last = clients.pop() as WsTestClient
    const leaver = users.at(-1)
    last.close()
    for (const client of clients) {
      expect(await client.waitFor((m) => m.type === 'user-disconnected')).toEqual({
        type: 'user-disconnected',
        userId: leaver?.id,
        username: leaver?.username,
      })
    }
    clients.forEach((client, i) => {
      expect(client.all('user-connected')).toHaveLength(users.length - 1 - i)
      expect(client.all('user-disconnected')).toHaveLength(1)
    })
    for (const client of clients) client.close()
  })

  it('[PRES1][PRES3] when a user opens a second tab and closes the first, then the others hear neither; closing the last tab sends user-disconnected; a reconnect has the same colour', async () => {
    server = await startTestServer({ clock: systemClock() })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor', 'viewer'])
    const [editor, witness] = members as [(typeof members)[number], (typeof members)[number]]
    const room = () => server?.app.realtime.rooms.peek(canvas.id)
    const observer = await WsTestClient.connect(server.baseUrl, canvas.id, { token: owner.token })

    const tab1 = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    await observer.waitFor((m) => m.type === 'user-connected' && m.userId === editor.id)
    const tab2 = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    expect(tab2.authSuccess?.color).toBe(tab1.authSuccess?.color)
    expect(tab2.authSuccess?.users.filter((u) => u.userId === editor.id)).toHaveLength(1)
    // A later presence event is the barrier: anything the second tab caused would come before it.
    const w1 = await WsTestClient.connect(server.baseUrl, canvas.id, { token: witness.token })
    await observer.waitFor((m) => m.type === 'user-connected' && m.userId === witness.id)
    expect(observer.all('user-connected').map((m) => m.userId)).toEqual([editor.id, witness.id])

    tab1.close()
    await tab1.closed
    await expect.poll(() => room()?.size).toBe(3)
    w1.close()
    await observer.waitFor((m) => m.type === 'user-disconnected' && m.userId === witness.id)
    expect(observer.all('user-disconnected').map((m) => m.userId)).toEqual([witness.id])

    tab2.close()
    expect(await observer.waitFor((m) => m.type === 'user-disconnected')).toEqual({
      type: 'user-disconnected',
      userId: editor.id,
      username: editor.username,
    })

    const again = await WsTestClient.connect(server.baseUrl, canvas.id, { token: editor.token })
    expect(again.authSuccess?.color).toBe(tab1.authSuccess?.color)
    expect(again.authSuccess?.color).toBe(presenceColor(editor.id))
    expect(await observer.waitFor((m) => m.type === 'user-connected')).toMatchObject({
      userId: editor.id,
      color: presenceColor(editor.id),
    })
    again.close()
    observer.close()
  })
})

function sortById<T extends { userId: string }>(users: readonly T[]): T[] {
  return [...users].sort((a, b) => a.userId.localeCompare(b.userId))
}

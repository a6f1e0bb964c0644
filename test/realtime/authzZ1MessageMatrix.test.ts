import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { can } from '../../src/core/permissions.js'
import { CLIENT_MESSAGE_TYPES, type ClientMessageType } from '../../src/protocol/clientMessageSchemas.js'
import { MESSAGE_ACCESS } from '../../src/server/routes/accessPolicy.js'
import { systemClock } from '../support/clock.js'
import {
  canvasWithRoles,
  createCanvas,
  registerUser,
  shareCanvas,
  type TestUser,
} from '../support/fixtures.js'
import { OpLogReader } from '../support/opLogReader.js'
import { canvasState } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WsTestClient, type Received } from '../support/wsTestClient.js'

// [Z1] Every client message type (CLIENT_MESSAGE_TYPES) × stranger, viewer, editor and owner,
// checked against MESSAGE_ACCESS in routes/accessPolicy.ts. A new message type does not compile
// without a row there and a sample here, and fails the registry test below if either is missing.

let server: TestServer
let log: OpLogReader
let setup: Awaited<ReturnType<typeof canvasWithRoles>> & { watcherUser: TestUser }
/** The owner's socket, which makes the objects the cells update and delete. */
let maker: WsTestClient
/** A viewer's socket that sees what every cell broadcasts. */
let watcher: WsTestClient
const sockets: WsTestClient[] = []

beforeAll(async () => {
  server = await startTestServer({ clock: systemClock() })
  log = new OpLogReader(server.dataDir)
  const roles = await canvasWithRoles(server.http, 'WS matrix canvas')
  const watcherUser = await registerUser(server.http, { username: 'watcher' })
  await shareCanvas(server.http, roles.owner, roles.canvas.id, watcherUser, 'viewer')
  setup = { ...roles, watcherUser }
  maker = await connect(roles.owner)
  watcher = await connect(watcherUser)
})
afterAll(async () => {
  for (const socket of sockets) socket.terminate()
  log.close()
  await server.close()
})

async function connect(user: TestUser, canvasId = setup.canvas.id): Promise<WsTestClient> {
  const client = await WsTestClient.connect(server.baseUrl, canvasId, { token: user.token })
  sockets.push(client)
  return client
}

let serial = 0
const next = (label: string) => `${label}-${++serial}`

/** A fresh object on the canvas, made by the owner: the target of an update or delete cell. */
async function freshObject(): Promise<string> {
  const id = next('obj')
  const opId = next('make')
  maker.send({ type: 'object-create', opId, object: { id, type: 'rect' } })
  await maker.waitForAck(opId)
  return id
}

interface Cell {
  /** The message the actor sends. */
  message: Record<string, unknown>
  /** What an allowed sender observes (on its socket or the watcher's). */
  allowed(sender: WsTestClient, user: TestUser): Promise<void>
}

/** One sample per message type; `Record` makes a new type a compile error until it has one. */
const SAMPLES: Record<ClientMessageType, () => Promise<Cell>> = {
  auth: () =>
    Promise.resolve({
      message: { type: 'auth' },
      allowed: async (sender) => {
        // Joined already: a second auth is refused as input, the membership is not.
        expect(await sender.waitForError()).toMatchObject({ code: 'invalid_input' })
      },
    }),
  ping: () => {
    const t = ++serial
    return Promise.resolve({
      message: { type: 'ping', t },
      allowed: async (sender) => {
        expect(await sender.waitFor((m) => m.type === 'pong' && m.t === t)).toEqual({ type: 'pong', t })
      },
    })
  },
  cursor: () => {
    const x = ++serial
    return Promise.resolve({
      message: { type: 'cursor', x, y: 1 },
      allowed: async (_sender, user) => {
        await watcher.waitFor(
          (m) => m.type === 'cursors' && m.cursors.some((c) => c.userId === user.id && c.x === x),
        )
      },
    })
  },
  selection: async () => {
    const id = await freshObject()
    return {
      message: { type: 'selection', ids: [id] },
      allowed: async (_sender, user) => {
        await watcher.waitFor(
          (m) => m.type === 'selections' && m.selections.some((s) => s.userId === user.id && s.ids[0] === id),
        )
      },
    }
  },
  preview: async () => {
    const id = await freshObject()
    const x = ++serial
    return {
      message: { type: 'preview', objects: [{ id, x, y: 1 }] },
      allowed: async (_sender, user) => {
        await watcher.waitFor(
          (m) =>
            m.type === 'previews' &&
            m.previews.some((p) => p.userId === user.id && p.objects[0]?.id === id && p.objects[0].x === x),
        )
      },
    }
  },
  viewport: () => {
    const x = ++serial
    return Promise.resolve({
      message: { type: 'viewport', x, y: 1, width: 800, height: 600 },
      allowed: async (_sender, user) => {
        await watcher.waitFor(
          (m) => m.type === 'viewports' && m.viewports.some((v) => v.userId === user.id && v.x === x),
        )
      },
    })
  },
  'object-create': () => {
    const opId = next('create')
    return Promise.resolve({
      message: { type: 'object-create', opId, object: { id: next('new'), type: 'rect' } },
      allowed: async (sender) => void (await sender.waitForAck(opId)),
    })
  },
  'object-update': async () => {
    const opId = next('update')
    const id = await freshObject()
    return {
      message: { type: 'object-update', opId, id, changes: { x: 7 } },
      allowed: async (sender) => void (await sender.waitForAck(opId)),
    }
  },
  'object-delete': async () => {
    const opId = next('delete')
    const id = await freshObject()
    return {
      message: { type: 'object-delete', opId, id },
      allowed: async (sender) => void (await sender.waitForAck(opId)),
    }
  },
}

let pings = 0
async function expectServed(client: WsTestClient): Promise<void> {
  const t = -++pings
  client.send({ type: 'ping', t })
  await client.waitFor((m) => m.type === 'pong' && m.t === t)
}

const MEMBER_ROLES = ['viewer', 'editor', 'owner'] as const

describe('[Z1] the message registry', () => {
  it('[Z1] when the protocol declares its client message types, then each has an access row and a sample', () => {
    const problems = CLIENT_MESSAGE_TYPES.flatMap((type) => [
      ...(type in MESSAGE_ACCESS ? [] : [`new message type ${type} has no row in MESSAGE_ACCESS`]),
      ...(type in SAMPLES ? [] : [`message type ${type} has no sample in this test`]),
    ])
    expect(problems).toEqual([])
    expect(Object.keys(MESSAGE_ACCESS).sort()).toEqual([...CLIENT_MESSAGE_TYPES].sort())
  })
})

describe('[Z1] WebSocket matrix', () => {
  it.each(CLIENT_MESSAGE_TYPES)(
    '[Z1] when a stranger sends auth and then %s, then forbidden and close 4403, nothing else comes back and nothing is logged or broadcast',
    async (type) => {
      const cell = await SAMPLES[type]()
      const before = log.count(setup.canvas.id)
      const heard = watcher.received.length
      const stranger = await WsTestClient.connect(server.baseUrl, setup.canvas.id, { authenticate: false })
      sockets.push(stranger)
      // Pipelined behind the auth, as a reconnecting client sends its pending ops [GW2].
      stranger.send({ type: 'auth', token: setup.stranger.token })
      if (type !== 'auth') stranger.send(cell.message)
      expect((await stranger.waitForClose()).code).toBe(4403)
      expect(stranger.received).toMatchObject([{ type: 'error', code: 'forbidden' }])
      expect(stranger.received).toHaveLength(1)
      // The watcher's next pong proves anything the stranger caused would have arrived first.
      await expectServed(watcher)
      const fromStranger = watcher.received
        .slice(heard)
        .filter((m) => JSON.stringify(m).includes(setup.stranger.id))
      expect(fromStranger).toEqual([])
      expect(log.count(setup.canvas.id)).toBe(before)
    },
  )

  const cells = CLIENT_MESSAGE_TYPES.flatMap((type) => MEMBER_ROLES.map((role) => [type, role] as const))
  it.each(cells)(
    '[Z1] when a member sends %s as %s, then the outcome MESSAGE_ACCESS documents',
    async (type, role) => {
      const user = setup[role]
      const sender = await connect(user)
      expect(sender.authSuccess?.role).toBe(role)
      const cell = await SAMPLES[type]()
      const before = log.count(setup.canvas.id)
      sender.send(cell.message)
      if (can(role, MESSAGE_ACCESS[type])) {
        await cell.allowed(sender, user)
      } else {
        const opId = typeof cell.message.opId === 'string' ? cell.message.opId : undefined
        expect(await sender.waitForError(opId)).toMatchObject({
          code: 'forbidden',
          ...(opId ? { opId } : {}),
        })
        await expectServed(sender)
        expect(sender.all('ack')).toEqual([])
        expect(log.count(setup.canvas.id)).toBe(before)
      }
      expect(sender.closeInfo).toBeUndefined()
      sender.close()
    },
  )
})

describe('[Z1] object ids of one canvas on another', () => {
  it('[Z1] when an editor of canvases X and Y updates or deletes an object of X through Y, then not_found naming id, and X is unchanged', async () => {
    const owner = await registerUser(server.http)
    const editor = await registerUser(server.http)
    const x = await createCanvas(server.http, owner, 'X')
    const y = await createCanvas(server.http, owner, 'Y')
    await shareCanvas(server.http, owner, x.id, editor, 'editor')
    await shareCanvas(server.http, owner, y.id, editor, 'editor')
    const onX = await connect(editor, x.id)
    onX.send({ type: 'object-create', opId: 'x1', object: { id: 'only-on-x', type: 'rect', x: 1 } })
    await onX.waitForAck('x1')
    const xBefore = await canvasState(server.http, x.id, owner)

    const onY = await connect(editor, y.id)
    const attempts: Received[] = []
    for (const op of [
      { type: 'object-update', opId: 'y1', id: 'only-on-x', changes: { x: 99 } },
      { type: 'object-delete', opId: 'y2', id: 'only-on-x' },
    ] as const) {
      onY.send(op)
      const error = await onY.waitForError(op.opId)
      attempts.push(error)
      expect(error).toMatchObject({ code: 'not_found', field: 'id', opId: op.opId })
    }
    expect(attempts).toHaveLength(2)
    expect(log.count(y.id)).toBe(0)
    expect(await canvasState(server.http, x.id, owner)).toEqual(xBefore)
    expect(onX.all('object-updated')).toEqual([])
    expect(onX.all('object-deleted')).toEqual([])
  })
})

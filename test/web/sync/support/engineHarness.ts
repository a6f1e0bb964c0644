import WebSocket from 'ws'
import { afterEach } from 'vitest'
import type { CanvasObject } from '../../../../src/protocol/objects.js'
import { MemoryPendingStore, type PendingStore } from '../../../../src/web/sync/pendingStore.js'
import { SyncEngine, type SyncEngineOptions } from '../../../../src/web/sync/syncEngine.js'
import type { ApiClient } from '../../../support/apiClient.js'
import { systemClock } from '../../../support/clock.js'
import { createCanvas, registerUser, shareCanvas, type TestUser } from '../../../support/fixtures.js'
import { startTestServer, type TestServer, type TestServerOptions } from '../../../support/startTestServer.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Runs `fn` after the current test, last registered first. */
export function defer(fn: () => Promise<void> | void): void {
  cleanups.push(fn)
}

/** A real server on real time (token buckets and ticks must see it pass), closed after the test. */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ clock: systemClock(), ...options })
  defer(() => server.close())
  return server
}

/** alice and her canvas. (Each user costs an argon2 hash: tests register only whom they need.) */
export async function aliceCanvas(api: ApiClient) {
  const alice = await registerUser(api, { username: 'alice' })
  const canvas = await createCanvas(api, alice)
  return { alice, canvasId: canvas.id }
}

/** alice owns a canvas shared with bob as an editor. */
export async function sharedCanvas(api: ApiClient) {
  const [alice, bob] = await Promise.all([
    registerUser(api, { username: 'alice' }),
    registerUser(api, { username: 'bob' }),
  ])
  const canvas = await createCanvas(api, alice)
  await shareCanvas(api, alice, canvas.id, bob, 'editor')
  return { alice, bob, canvasId: canvas.id }
}

export interface EngineOptions extends Partial<SyncEngineOptions> {
  /** `ws://host:port` of the server or of a proxy in front of it. */
  wsBaseUrl: string
  canvasId: string
  user: TestUser
  pendingStore?: PendingStore
}

/** A SyncEngine on `ws` with the user's token and quick retries, stopped after the test. */
export function newEngine({ wsBaseUrl, canvasId, user, ...rest }: EngineOptions): SyncEngine {
  const engine = new SyncEngine({
    url: `${wsBaseUrl}/ws/${canvasId}`,
    canvasId,
    token: user.token,
    pendingStore: new MemoryPendingStore(),
    WebSocketImpl: WebSocket,
    reconnect: { initialMs: 20, maxMs: 200 },
    ...rest,
  })
  defer(() => engine.stop())
  return engine
}

export const wsBaseOf = (server: TestServer) => server.baseUrl.replace(/^http/, 'ws')

/** The canvas as the server has it (GET /api/canvases/:id/state). */
export async function serverState(server: TestServer, user: TestUser, canvasId: string) {
  const res = await server.http.send<{ seq: number; objects: CanvasObject[] }>({
    method: 'GET',
    url: `/api/canvases/${canvasId}/state`,
    token: user.token,
  })
  if (res.status !== 200) throw new Error(`state: ${res.status} ${res.text}`)
  return res.body
}

/** Objects without updatedAt (object-updated events carry no time), sorted by id. */
export function comparable(objects: Iterable<CanvasObject>) {
  return [...objects]
    .map(({ updatedAt: _updatedAt, ...rest }) => rest)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

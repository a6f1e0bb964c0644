import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../support/clock.js'
import { comparableObjects, EventReplica } from '../support/eventReplica.js'
import type { TestUser } from '../support/fixtures.js'
import { OpLogReader } from '../support/opLogReader.js'
import { canvasState, sharedCanvas } from '../support/sharedCanvas.js'
import { startTestServer, type TestServer, type TestServerOptions } from '../support/startTestServer.js'
import { startFaultProxy } from '../support/faultProxy.js'
import { WsTestClient, type ConnectOptions, type Received } from '../support/wsTestClient.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function start(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ clock: systemClock(), ...options })
  cleanups.push(() => server.close())
  return server
}

async function connect(baseUrl: string, canvasId: string, options: ConnectOptions): Promise<WsTestClient> {
  const client = await WsTestClient.connect(baseUrl, canvasId, options)
  cleanups.push(() => client.terminate())
  return client
}

type Op =
  | { type: 'object-create'; opId: string; object: { id: string; type: 'rect'; x: number; y: number } }
  | { type: 'object-update'; opId: string; id: string; changes: { x?: number; fill?: string } }
  | { type: 'object-delete'; opId: string; id: string }

/**
 * `count` ops over `objects` ids, deterministic: creates first, then updates with now and then
 * a delete (and a re-create of the same id later), so every kind of entry is resumed.
 */
function opsFor(prefix: string, count: number, objects = 10): Op[] {
  const ops: Op[] = []
  const live = new Set<string>()
  for (let i = 0; ops.length < count; i++) {
    const id = `${prefix}-o${i % objects}`
    const opId = `${prefix}-${i}`
    if (!live.has(id)) {
      ops.push({ type: 'object-create', opId, object: { id, type: 'rect', x: i, y: -i } })
      live.add(id)
    } else if (i % 7 === 0) {
      ops.push({ type: 'object-delete', opId, id })
      live.delete(id)
    } else {
      ops.push({
        type: 'object-update',
        opId,
        id,
        changes: i % 2 === 0 ? { x: i } : { fill: `#${(i % 4096).toString(16).padStart(3, '0')}` },
      })
    }
  }
  return ops
}

/** Sends every op at once (pipelined), then waits for all the acks; returns their seqs. */
async function writeAll(client: WsTestClient, ops: readonly Op[]): Promise<number[]> {
  for (const op of ops) client.send(op)
  const seqs: number[] = []
  for (const op of ops) seqs.push((await client.waitForAck(op.opId, 20_000)).seq)
  return seqs
}

const OBJECT_EVENTS = new Set(['object-created', 'object-updated', 'object-deleted'])
type ObjectEvent = Extract<Received, { type: 'object-created' | 'object-updated' | 'object-deleted' }>

/** What arrived before auth-success: the resumed entries, and nothing else. */
function beforeWelcome(client: WsTestClient): Received[] {
  const at = client.received.findIndex((m) => m.type === 'auth-success')
  return client.received.slice(0, at)
}

function seqsOf(messages: readonly Received[]): number[] {
  return messages.filter((m): m is ObjectEvent => OBJECT_EVENTS.has(m.type)).map((m) => m.seq)
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('resume with lastSeq', () => {
  it('[R1][ROOM15] when a client reconnects after missing 50 changes, then it gets exactly those in seq order, then auth-success resumed, then live changes without a gap', async () => {
    const server = await start()
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0] as TestUser
    const writer = await connect(server.baseUrl, canvas.id, { token: owner.token })
    await writeAll(writer, opsFor('early', 5))

    const first = await connect(server.baseUrl, canvas.id, { token: editor.token })
    const lastSeq = first.authSuccess?.seq ?? -1
    expect(lastSeq).toBe(5)
    first.close()
    await first.closed

    const missed = await writeAll(writer, opsFor('missed', 50))
    expect(missed).toEqual(range(6, 55))

    const back = await connect(server.baseUrl, canvas.id, { token: editor.token, lastSeq })
    const resumed = beforeWelcome(back)
    expect(resumed.map((m) => m.type).every((t) => OBJECT_EVENTS.has(t))).toBe(true)
    expect(seqsOf(resumed)).toEqual(range(6, 55))
    expect(back.authSuccess).toMatchObject({ resumed: true, seq: 55, objects: [], role: 'editor' })

    // Live from here: the next changes follow on with no gap and no repeat.
    await writeAll(writer, opsFor('live', 10))
    await back.waitFor((m) => OBJECT_EVENTS.has(m.type) && (m as ObjectEvent).seq === 65)
    const replica = new EventReplica().apply(first.received).apply(back.received)
    expect(replica.seqs).toEqual(range(6, 65))

    const state = await canvasState(server.http, canvas.id, editor)
    expect(state.seq).toBe(65)
    expect(replica.sorted()).toEqual(comparableObjects(state.objects))
  })

  it('[R1] when lastSeq equals the current seq, then auth-success resumed comes with nothing before it', async () => {
    const server = await start()
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const writer = await connect(server.baseUrl, canvas.id, { token: owner.token })
    await writeAll(writer, opsFor('w', 3))
    const client = await connect(server.baseUrl, canvas.id, { token: owner.token, lastSeq: 3 })
    expect(beforeWelcome(client)).toEqual([])
    expect(client.authSuccess).toMatchObject({ resumed: true, seq: 3, objects: [] })
  })

  it('[R1] when lastSeq is ahead of the server, then the client gets the full state, not a resume', async () => {
    const server = await start()
    const { owner, canvas } = await sharedCanvas(server.http, [])
    const writer = await connect(server.baseUrl, canvas.id, { token: owner.token })
    await writeAll(writer, opsFor('w', 12))
    const state = await canvasState(server.http, canvas.id, owner)

    const client = await connect(server.baseUrl, canvas.id, { token: owner.token, lastSeq: 1_000_000 })
    expect(beforeWelcome(client)).toEqual([])
    expect(client.authSuccess?.resumed).toBeUndefined()
    expect(client.authSuccess).toMatchObject({ seq: 12, objects: state.objects })
    expect(client.authSuccess?.objects.length).toBeGreaterThan(0)
  })

  it('[R4] when lastSeq is older than the retained log, then the client gets the full state, which equals the server state', async () => {
    const server = await start({ realtimeLimits: { resumeWindowEntries: 5, snapshotEveryEntries: 10 } })
    const log = new OpLogReader(server.dataDir)
    cleanups.push(() => log.close())
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0] as TestUser
    const writer = await connect(server.baseUrl, canvas.id, { token: owner.token })
    await writeAll(writer, opsFor('w', 3))
    const stale = await connect(server.baseUrl, canvas.id, { token: editor.token })
    const lastSeq = stale.authSuccess?.seq ?? -1
    expect(lastSeq).toBe(3)
    stale.close()

    await writeAll(writer, opsFor('later', 30))
    // Snapshots every 10 entries trim the log to the last 5 behind them.
    await expect.poll(() => log.firstSeq(canvas.id)).toBeGreaterThan(lastSeq + 1)

    const client = await connect(server.baseUrl, canvas.id, { token: editor.token, lastSeq })
    expect(beforeWelcome(client)).toEqual([])
    expect(client.authSuccess?.resumed).toBeUndefined()
    const state = await canvasState(server.http, canvas.id, editor)
    expect(client.authSuccess).toMatchObject({ seq: 33, objects: state.objects })
    expect(new EventReplica().apply(client.received).sorted()).toEqual(comparableObjects(state.objects))
  })
})

describe('[R4] the compaction boundary', () => {
  it('[R4] when lastSeq is one before the first retained entry it resumes, one older it gets snapshot plus tail equal to the server state, and the next reconnect resumes: no error, no loop', async () => {
    // Snapshots only every 10 entries (no timer), each trimming the log to 5 entries behind it.
    const server = await start({
      realtimeLimits: { resumeWindowEntries: 5, snapshotEveryEntries: 10, snapshotDelayMs: 600_000 },
    })
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor'])
    const editor = members[0] as TestUser
    const writer = await connect(server.baseUrl, canvas.id, { token: owner.token })
    await writeAll(writer, opsFor('w', 33))
    // The snapshot at seq 30..33 trims to 5 behind it; no other snapshot follows.
    await expect.poll(() => server.deps.opLog.firstSeq(canvas.id)).toBeGreaterThanOrEqual(26)
    const first = await server.deps.opLog.firstSeq(canvas.id)

    const atBoundary = await connect(server.baseUrl, canvas.id, { token: editor.token, lastSeq: first - 1 })
    expect(seqsOf(beforeWelcome(atBoundary))).toEqual(range(first, 33))
    expect(atBoundary.authSuccess).toMatchObject({ resumed: true, seq: 33, objects: [] })

    const pastBoundary = await connect(server.baseUrl, canvas.id, { token: editor.token, lastSeq: first - 2 })
    expect(beforeWelcome(pastBoundary)).toEqual([])
    expect(pastBoundary.authSuccess?.resumed).toBeUndefined()
    const state = await canvasState(server.http, canvas.id, editor)
    expect(pastBoundary.authSuccess?.seq).toBe(state.seq)
    expect(new EventReplica().apply(pastBoundary.received).sorted()).toEqual(comparableObjects(state.objects))

    // The client that got the full state reconnects with the seq it now has: a plain resume.
    const seq = pastBoundary.authSuccess?.seq ?? -1
    pastBoundary.close()
    await pastBoundary.closed
    const again = await connect(server.baseUrl, canvas.id, { token: editor.token, lastSeq: seq })
    expect(beforeWelcome(again)).toEqual([])
    expect(again.authSuccess).toMatchObject({ resumed: true, seq: 33 })
    for (const client of [atBoundary, pastBoundary, again]) expect(client.all('error')).toEqual([])
  })
})

describe('network drop', () => {
  it('[R1] when the connection is reset mid-stream and others write 1,000 ops, then a reconnect with lastSeq gets exactly the missing ops in order and converges to the server state', async () => {
    const server = await start()
    const proxy = await startFaultProxy(server.baseUrl)
    cleanups.push(() => proxy.close())
    const { owner, members, canvas } = await sharedCanvas(server.http, ['editor', 'viewer'])
    const [editor, viewer] = members as [TestUser, TestUser]
    const w1 = await connect(server.baseUrl, canvas.id, { token: owner.token })
    const w2 = await connect(server.baseUrl, canvas.id, { token: editor.token })

    const dropped = await connect(proxy.baseUrl, canvas.id, { token: viewer.token })
    await writeAll(w1, opsFor('before', 20))
    await dropped.waitFor((m) => OBJECT_EVENTS.has(m.type) && (m as ObjectEvent).seq === 20)

    // Writers keep going while the drop happens: frames in flight are lost with the connection.
    const writing = Promise.all([writeAll(w1, opsFor('a', 500)), writeAll(w2, opsFor('b', 500))])
    await expect.poll(() => w1.all('ack').length, { timeout: 10_000, interval: 1 }).toBeGreaterThan(120)
    proxy.resetAll()
    const closed = await dropped.waitForClose()
    expect(closed.code).toBe(1006)
    const acked = (await writing).flat().sort((x, y) => x - y)
    expect(acked).toEqual(range(21, 1020))

    const replica = new EventReplica().apply(dropped.received)
    const lastSeq = replica.seq
    // The drop came mid-stream: there is something to resume.
    expect(lastSeq).toBeGreaterThanOrEqual(20)
    expect(lastSeq).toBeLessThan(1020)
    expect(replica.seqs).toEqual(range(1, lastSeq))

    const back = await connect(proxy.baseUrl, canvas.id, { token: viewer.token, lastSeq })
    const resumed = beforeWelcome(back)
    expect(seqsOf(resumed)).toEqual(range(lastSeq + 1, 1020))
    expect(back.authSuccess).toMatchObject({ resumed: true, seq: 1020 })
    replica.apply(back.received)
    expect(replica.seqs).toEqual(range(1, 1020))

    const state = await canvasState(server.http, canvas.id, viewer)
    expect(state.seq).toBe(1020)
    expect(replica.sorted()).toEqual(comparableObjects(state.objects))
  })
})

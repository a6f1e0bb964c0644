import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fetchClient } from '../support/apiClient.js'
import { createCanvas, registerUser, shareCanvas } from '../support/fixtures.js'
import { killAndWait } from '../support/serverProcess.js'
import { lostAcks, mountTmpfs, readStoredLog, startServer, type ServerRun } from '../support/storageFaults.js'
import { WsTestClient } from '../support/wsTestClient.js'

// Disk full [D5] (../shared/reliability.md): the data directory on a 2 MiB tmpfs, the built
// server as a process, real HTTP and WebSocket clients.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const TMPFS_BYTES = 2 * 1024 * 1024
// 8 000 characters of text per op: the disk fills after a few hundred ops.
const TEXT = 'x'.repeat(8_000)
const MAX_OPS = 1_000

interface Ack {
  opId: string
  canvasId: string
  seq: number
}

/** Sends one object-create and resolves with its answer: the ack, or the error frame. */
async function create(client: WsTestClient, opId: string): Promise<{ seq: number } | { code: string }> {
  client.send({
    type: 'object-create',
    opId,
    object: { id: `o-${opId}`, type: 'text', x: 0, y: 0, text: TEXT },
  })
  const answer = await client.waitFor(
    (m) => (m.type === 'ack' || m.type === 'error') && 'opId' in m && m.opId === opId,
    10_000,
  )
  if (answer.type === 'ack') return { seq: answer.seq }
  if (answer.type === 'error') return { code: answer.code }
  throw new Error(`unexpected answer ${JSON.stringify(answer)}`)
}

/** Fills what is left of the file system with one file, until ENOSPC. */
function fillUp(file: string): number {
  const chunk = Buffer.alloc(64 * 1024, 1)
  const fd = fs.openSync(file, 'w')
  let written = 0
  try {
    for (;;) {
      try {
        written += fs.writeSync(fd, chunk)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
        throw err
      }
    }
  } finally {
    fs.closeSync(fd)
  }
  return written
}

describe('disk full', () => {
  it('[D5] when the data directory fills up, then writes are refused with storage_full (WebSocket error frame, HTTP 507), reads and presence go on, writes work again once space is freed, and no acked op is lost', async () => {
    const tmpfs = mountTmpfs(os.tmpdir(), TMPFS_BYTES)
    cleanups.push(() => tmpfs.remove())
    const dataDir = path.join(tmpfs.path, 'data')
    let run: ServerRun | undefined
    cleanups.push(async () => {
      if (run) await killAndWait(run.cli.child, run.cli.exited)
    })
    const clients: WsTestClient[] = []
    cleanups.push(() => clients.forEach((c) => c.terminate()))

    run = await startServer(dataDir)
    const api = fetchClient(run.baseUrl)
    const owner = await registerUser(api, { username: 'd5 owner' })
    const viewer = await registerUser(api, { username: 'd5 viewer' })
    const canvasId = (await createCanvas(api, owner, 'd5 canvas')).id
    await shareCanvas(api, owner, canvasId, viewer, 'viewer')
    const writer = await WsTestClient.connect(run.baseUrl, canvasId, { token: owner.token })
    clients.push(writer)

    // Another file takes half the disk: freeing it later is what an operator would do.
    const ballast = path.join(tmpfs.path, 'ballast')
    fs.writeFileSync(ballast, Buffer.alloc(TMPFS_BYTES / 2, 1))

    // Write until the disk is full: every op is acked until one is refused with storage_full.
    const acked: Ack[] = []
    let refused: { opId: string; code: string } | undefined
    for (let i = 1; i <= MAX_OPS && refused === undefined; i++) {
      const opId = `d5-fill-${i}`
      const answer = await create(writer, opId)
      if ('seq' in answer) acked.push({ opId, canvasId, seq: answer.seq })
      else refused = { opId, code: answer.code }
    }
    expect(refused, `no refusal in ${MAX_OPS} ops of 8 kB on a 2 MiB disk`).toBeDefined()
    expect(refused?.code).toBe('storage_full')

    // Whatever space is left goes to another file, so small writes cannot squeeze in either.
    const topUp = path.join(tmpfs.path, 'top-up')
    const topUpBytes = fillUp(topUp)
    // HTTP writes: a small one may still fit in a page SQLite already holds; soon one must not.
    let httpRefusal: { status: number; body: unknown } | undefined
    for (let i = 0; i < 50 && httpRefusal === undefined; i++) {
      const res = await api.send({
        method: 'POST',
        url: '/api/canvases',
        token: owner.token,
        json: { name: `d5 extra ${i}` },
      })
      if (res.status !== 201) httpRefusal = { status: res.status, body: res.body }
    }
    expect(httpRefusal).toMatchObject({ status: 507, body: { error: { code: 'storage_full' } } })
    // The same on the socket, for an op that needs more than a free page.
    expect(await create(writer, 'd5-full-again')).toEqual({ code: 'storage_full' })

    // Reads go on: the state holds every acked op.
    const state = await api.send<{ seq: number; objects: { id: string }[] }>({
      method: 'GET',
      url: `/api/canvases/${canvasId}/state`,
      token: viewer.token,
    })
    expect(state.status, state.text).toBe(200)
    expect(state.body.seq).toBe(acked.at(-1)?.seq)
    expect(state.body.objects).toHaveLength(acked.length)
    // Presence goes on: a viewer joins (sessions are read, not written) and its cursor reaches the writer.
    const watcher = await WsTestClient.connect(run.baseUrl, canvasId, { token: viewer.token })
    clients.push(watcher)
    watcher.send({ type: 'cursor', x: 12, y: 34 })
    await writer.waitFor(
      (m) => m.type === 'cursors' && m.cursors.some((c) => c.userId === viewer.id && c.x === 12),
    )

    // Space is freed (the writes need no restart): the refused op, sent again, and new ones are acked.
    fs.rmSync(ballast)
    fs.rmSync(topUp)
    for (const opId of [refused?.opId as string, 'd5-after-1', 'd5-after-2']) {
      const answer = await create(writer, opId)
      expect(answer, opId).toHaveProperty('seq')
      if ('seq' in answer) acked.push({ opId, canvasId, seq: answer.seq })
    }
    const again = await api.send({
      method: 'POST',
      url: '/api/canvases',
      token: owner.token,
      json: { name: 'd5 after' },
    })
    expect(again.status, again.text).toBe(201)

    // The server stayed up all along; stopped, its file holds every acked op.
    expect(run.cli.child.exitCode).toBeNull()
    const exit = await killAndWait(run.cli.child, run.cli.exited, 'SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    run = undefined
    const stored = readStoredLog(dataDir)
    expect(stored.integrity).toBe('ok')
    expect(lostAcks(acked, stored)).toEqual([])
    expect(stored.seqProblems).toEqual([])
    // And a restart serves it.
    run = await startServer(dataDir)
    const restarted = await fetchClient(run.baseUrl).send<{ seq: number }>({
      method: 'GET',
      url: `/api/canvases/${canvasId}/state`,
      token: owner.token,
    })
    expect(restarted.body.seq).toBe(acked.at(-1)?.seq)
    process.stdout.write(
      `[D5] ${acked.length} ops acked of 8 kB text on a ${TMPFS_BYTES / 1024} KiB tmpfs; first refusal ` +
        `${refused?.opId} (${refused?.code}); then ${topUpBytes} bytes more filled the disk; HTTP ${httpRefusal?.status}; restart ${run.startMs.toFixed(0)} ms\n`,
    )
  }, 60_000)
})

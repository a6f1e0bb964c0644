import { describe, expect, it } from 'vitest'
import type { AiCommandBody } from '../../../src/protocol/aiHttpTypes.js'
import type { TestUser } from '../../support/fixtures.js'
import type { TestServer } from '../../support/startTestServer.js'
import { newEngine, serverState, sharedCanvas, startServer, wsBaseOf } from './support/engineHarness.js'
import { waitForSnapshot } from './support/waitForSnapshot.js'

// [AI4] An AI command on a shared canvas, end to end through the real server and two sync
// engines: the objects reach everyone at once, and one undo by the user who asked takes them all
// back, for everyone. Edits come as a preview, applied on accept as one undo step, rebased.

async function command(server: TestServer, user: TestUser, canvasId: string, body: object) {
  const res = await server.http.send<AiCommandBody>({
    method: 'POST',
    url: `/api/canvases/${canvasId}/ai`,
    token: user.token,
    json: body,
  })
  if (res.status !== 200) throw new Error(`ai: ${res.status} ${res.text}`)
  return res.body
}

describe('[AI4] AI commands on a shared canvas', () => {
  it('[AI4] when alice says "create a login form", then alice and bob both see its 5+ objects, and one undo by alice removes all of them for both', async () => {
    const server = await startServer()
    const { alice, bob, canvasId } = await sharedCanvas(server.http)
    const wsBaseUrl = wsBaseOf(server)
    const a = newEngine({ wsBaseUrl, canvasId, user: alice })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    await Promise.all([
      waitForSnapshot(a, (s) => s.status === 'online', 'alice online'),
      waitForSnapshot(b, (s) => s.status === 'online', 'bob online'),
    ])

    const answer = await command(server, alice, canvasId, { command: 'create a login form' })
    const ids = answer.objects.map((o) => o.id)
    expect(ids.length).toBeGreaterThanOrEqual(5)
    expect(answer.objects[0]).toMatchObject({ type: 'frame', name: 'Sign in' })
    const all = (s: { objects: ReadonlyMap<string, unknown> }) => ids.every((id) => s.objects.has(id))
    await Promise.all([
      waitForSnapshot(a, all, 'the form at alice'),
      waitForSnapshot(b, all, 'the form at bob'),
    ])
    const stored = await serverState(server, alice, canvasId)
    expect(stored.objects.map((o) => o.id).sort()).toEqual([...ids].sort())
    for (const o of stored.objects) expect(o.createdBy).toBe(alice.id)

    a.recordMade(ids)
    expect(a.getSnapshot().canUndo).toBe(true)
    a.undo()
    const none = (s: { objects: ReadonlyMap<string, unknown> }) => ids.every((id) => !s.objects.has(id))
    await Promise.all([
      waitForSnapshot(a, none, 'the form gone at alice'),
      waitForSnapshot(b, none, 'the form gone at bob'),
    ])
    await waitForSnapshot(a, (s) => s.saved, 'the undo saved')
    expect((await serverState(server, alice, canvasId)).objects).toEqual([])
  })

  it('[AI4] when alice accepts an edit preview after bob changed a previewed property, then bob keeps his value, the rest applies, and one undo takes it back', async () => {
    const server = await startServer()
    const { alice, bob, canvasId } = await sharedCanvas(server.http)
    const wsBaseUrl = wsBaseOf(server)
    const a = newEngine({ wsBaseUrl, canvasId, user: alice })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await Promise.all([a.start(), b.start()])
    await waitForSnapshot(a, (s) => s.status === 'online', 'alice online')
    await waitForSnapshot(b, (s) => s.status === 'online', 'bob online')
    a.create({ id: 'r1', type: 'rect', x: 0, y: 0, width: 50, height: 50 })
    a.create({ id: 'r2', type: 'rect', x: 200, y: 100, width: 50, height: 50 })
    a.create({ id: 'r3', type: 'rect', x: 400, y: 40, width: 50, height: 50 })
    await waitForSnapshot(b, (s) => s.objects.size === 3, 'three rects at bob')
    await waitForSnapshot(a, (s) => s.saved, 'rects saved')

    const answer = await command(server, alice, canvasId, {
      command: 'align top',
      selection: ['r1', 'r2', 'r3'],
    })
    expect(answer.objects).toEqual([])
    expect(answer.preview?.updates.map((u) => u.id).sort()).toEqual(['r2', 'r3'])
    // Nothing stored by the preview.
    expect((await serverState(server, alice, canvasId)).objects.find((o) => o.id === 'r2')?.y).toBe(100)

    b.update('r2', { y: 300 })
    await waitForSnapshot(a, (s) => s.objects.get('r2')?.y === 300, 'bob’s move at alice')
    const skipped = a.applyPreview(answer.preview ?? { updates: [], deletes: [] })
    expect(skipped).toBe(1)
    await waitForSnapshot(b, (s) => s.objects.get('r3')?.y === 0, 'r3 aligned at bob')
    expect(b.getSnapshot().objects.get('r2')?.y).toBe(300)

    a.undo()
    await waitForSnapshot(b, (s) => s.objects.get('r3')?.y === 40, 'the align undone at bob')
    expect(b.getSnapshot().objects.get('r2')?.y).toBe(300)
  })
})

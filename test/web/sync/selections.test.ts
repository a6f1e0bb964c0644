import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { newEngine, sharedCanvas, startServer, wsBaseOf } from './support/engineHarness.js'
import { isOnline, waitForSnapshot } from './support/waitForSnapshot.js'

describe('remote selections', () => {
  it('[SYNC32] when alice changes her selection, then bob sees it, alice never sees her own, repeats send nothing and her leaving clears it', async () => {
    const server = await startServer()
    const { alice, bob, canvasId } = await sharedCanvas(server.http)
    const wsBaseUrl = wsBaseOf(server)
    const selectionFrames: string[][] = []
    class CountingWebSocket extends WebSocket {
      override send(data: string): void {
        const message = JSON.parse(data) as { type: string; ids: string[] }
        if (message.type === 'selection') selectionFrames.push(message.ids)
        super.send(data)
      }
    }
    const a = newEngine({ wsBaseUrl, canvasId, user: alice, WebSocketImpl: CountingWebSocket })
    const b = newEngine({ wsBaseUrl, canvasId, user: bob })
    await b.start()
    await waitForSnapshot(b, isOnline, 'bob online')
    const before = b.getSnapshot().selections
    expect(before.size).toBe(0)

    // Selected before joining: sent once joined.
    a.select(['r1', 'r2'])
    await a.start()
    await waitForSnapshot(a, isOnline, 'alice online')
    const seen = await waitForSnapshot(b, (s) => s.selections.has(alice.id), 'alice’s selection at bob')
    expect(seen.selections.get(alice.id)).toEqual(['r1', 'r2'])
    expect(a.getSnapshot().selections.size).toBe(0)

    // Unchanged: nothing sent, and bob's map keeps its identity on unrelated changes.
    a.select(['r1', 'r2'])
    const kept = b.getSnapshot().selections
    a.moveCursor(5, 5)
    await waitForSnapshot(b, (s) => s.cursors.has(alice.id), 'alice’s cursor at bob')
    expect(b.getSnapshot().selections).toBe(kept)

    a.select(['r3'])
    await waitForSnapshot(b, (s) => s.selections.get(alice.id)?.[0] === 'r3', 'alice’s new selection')
    a.select([])
    await waitForSnapshot(b, (s) => !s.selections.has(alice.id), 'alice’s selection cleared')
    expect(selectionFrames).toEqual([['r1', 'r2'], ['r3'], []])

    a.select(['r4'])
    await waitForSnapshot(b, (s) => s.selections.has(alice.id), 'alice selects again')
    a.stop()
    await waitForSnapshot(b, (s) => s.selections.size === 0, 'alice gone, selection cleared')
    b.stop()
    expect(b.getSnapshot().selections.size).toBe(0)
  })
})

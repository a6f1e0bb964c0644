import 'fake-indexeddb/auto'
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { PendingOp } from '../../../src/web/sync/pendingOp.js'
import {
  IndexedDbPendingStore,
  MemoryPendingStore,
  type PendingStore,
} from '../../../src/web/sync/pendingStore.js'

const op = (opId: string, order: number, x = order): PendingOp => ({
  opId,
  op: { kind: 'update', id: 'r1', changes: { x, points: [1, 2] } },
  at: 1_000 + order,
  order,
  userId: 'u1',
})

const impls: { name: string; create(): PendingStore }[] = [
  { name: 'memory', create: () => new MemoryPendingStore() },
  { name: 'indexeddb', create: () => new IndexedDbPendingStore(`test-${randomUUID()}`) },
]

describe.each(impls)('PendingStore: $name', (impl) => {
  it('[SYNC40] when ops are put out of order, then load returns them in order, as put', async () => {
    const store = impl.create()
    await store.put('c1', op('b', 2))
    await store.put('c1', op('a', 1))
    await store.put('c1', op('c', 3))
    expect(await store.load('c1')).toEqual([op('a', 1), op('b', 2), op('c', 3)])
  })

  it('[SYNC40] when an opId is put twice, then the second replaces the first', async () => {
    const store = impl.create()
    await store.put('c1', op('a', 1))
    await store.put('c1', op('a', 1, 99))
    expect(await store.load('c1')).toEqual([op('a', 1, 99)])
  })

  it('[SYNC40] when ops are removed, including one never stored, then the rest stay', async () => {
    const store = impl.create()
    await store.put('c1', op('a', 1))
    await store.put('c1', op('b', 2))
    await store.remove('c1', 'a')
    await store.remove('c1', 'nope')
    await store.remove('c9', 'b')
    expect(await store.load('c1')).toEqual([op('b', 2)])
  })

  it('[SYNC40] when two canvases have ops with the same opId, then they stay apart', async () => {
    const store = impl.create()
    await store.put('c1', op('a', 1))
    await store.put('c2', op('a', 2))
    await store.remove('c2', 'a')
    expect(await store.load('c1')).toEqual([op('a', 1)])
    expect(await store.load('c2')).toEqual([])
    expect(await store.load('never')).toEqual([])
  })

  it('[SYNC40] when a loaded op is changed, then the stored one is not', async () => {
    const store = impl.create()
    const original = op('a', 1)
    await store.put('c1', original)
    original.order = 7
    const [loaded] = await store.load('c1')
    if (loaded === undefined) throw new Error('nothing loaded')
    loaded.opId = 'changed'
    expect(await store.load('c1')).toEqual([op('a', 1)])
  })
})

describe('IndexedDbPendingStore', () => {
  it('[SYNC40] when the database is opened again (a reload), then the ops are still there', async () => {
    const name = `test-${randomUUID()}`
    const store = new IndexedDbPendingStore(name)
    await store.put('c1', op('a', 1))
    await store.put('c1', op('b', 2))
    await store.close()
    const again = new IndexedDbPendingStore(name)
    expect(await again.load('c1')).toEqual([op('a', 1), op('b', 2)])
    await again.remove('c1', 'a')
    expect(await new IndexedDbPendingStore(name).load('c1')).toEqual([op('b', 2)])
  })
})

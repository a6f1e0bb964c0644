import { describe, expect, it } from 'vitest'
import { copyCreates } from '../../src/core/canvasCopy.js'
import type { CanvasObject } from '../../src/protocol/objects.js'

const stored = (id: string, extra: Partial<CanvasObject> = {}): CanvasObject => ({
  id,
  type: 'rect',
  createdBy: 'someone',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 3,
  ...extra,
})

describe('[LIST2] copyCreates', () => {
  it('[LIST2] when objects are copied, then the server fields go and everything else stays', () => {
    expect(copyCreates([stored('a', { x: 1, fill: '#ff0000', startId: 'b' })])).toEqual([
      { id: 'a', type: 'rect', x: 1, fill: '#ff0000', startId: 'b' },
    ])
  })

  it('[LIST2] when children come before their group in the state, then the group is created first', () => {
    const out = copyCreates([
      stored('child', { parentId: 'inner' }),
      stored('inner', { type: 'group', parentId: 'outer' }),
      stored('loose'),
      stored('outer', { type: 'group' }),
    ])
    const at = (id: string) => out.findIndex((o) => o.id === id)
    expect(out).toHaveLength(4)
    expect(at('outer')).toBeLessThan(at('inner'))
    expect(at('inner')).toBeLessThan(at('child'))
    expect(out.find((o) => o.id === 'child')?.parentId).toBe('inner')
  })

  it('[LIST2] when a parent is missing or parents form a loop, then those objects are copied once each, loose', () => {
    const out = copyCreates([
      stored('orphan', { parentId: 'gone' }),
      stored('p', { type: 'group', parentId: 'q' }),
      stored('q', { type: 'group', parentId: 'p' }),
    ])
    expect(out.map((o) => o.id).sort()).toEqual(['orphan', 'p', 'q'])
    expect(out.find((o) => o.id === 'orphan')?.parentId).toBeNull()
    // One of the loop is cut loose; the other stays inside it, created after it.
    const [first, second] = out.filter((o) => o.id === 'p' || o.id === 'q')
    expect(first?.parentId).toBeNull()
    expect(second?.parentId).toBe(first?.id)
  })

  it('[LIST2] when groups nest 5,000 deep, then copying does not overflow the stack', () => {
    const objects = Array.from({ length: 5_000 }, (_, i) =>
      stored(`g${i}`, { type: 'group', ...(i > 0 ? { parentId: `g${i - 1}` } : {}) }),
    ).reverse()
    const out = copyCreates(objects)
    expect(out.map((o) => o.id)).toEqual(Array.from({ length: 5_000 }, (_, i) => `g${i}`))
  })
})

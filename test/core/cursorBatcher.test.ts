import { describe, expect, it } from 'vitest'
import { CursorBatcher } from '../../src/core/cursorBatcher.js'

describe('CursorBatcher', () => {
  it('[CUR1] when a user moves several times between drains, then only the latest position is sent', () => {
    const batcher = new CursorBatcher()
    batcher.move('u1', 1, 1)
    batcher.move('u1', 2, 2)
    batcher.move('u1', 3, 4)
    expect(batcher.drain()).toEqual({ type: 'cursors', cursors: [{ userId: 'u1', x: 3, y: 4 }] })
  })

  it('[CUR2] when several users moved, then one message holds each once, and the next drain is empty', () => {
    const batcher = new CursorBatcher()
    batcher.move('u1', 1, 1)
    batcher.move('u2', 5, 5)
    batcher.move('u1', 2, 2)
    expect(batcher.drain()).toEqual({
      type: 'cursors',
      cursors: [
        { userId: 'u1', x: 2, y: 2 },
        { userId: 'u2', x: 5, y: 5 },
      ],
    })
    expect(batcher.drain()).toBeUndefined()
  })

  it('[CUR2] when nobody moved since the last drain, then nothing is sent, and only movers are sent next', () => {
    const batcher = new CursorBatcher()
    expect(batcher.drain()).toBeUndefined()
    batcher.move('u1', 1, 1)
    batcher.move('u2', 2, 2)
    batcher.drain()
    batcher.move('u2', 3, 3)
    expect(batcher.drain()).toEqual({ type: 'cursors', cursors: [{ userId: 'u2', x: 3, y: 3 }] })
  })

  it('[CUR3] when a user is removed, then their pending move is dropped and they are not listed', () => {
    const batcher = new CursorBatcher()
    batcher.move('u1', 1, 1)
    batcher.move('u2', 2, 2)
    batcher.remove('u1')
    expect(batcher.drain()).toEqual({ type: 'cursors', cursors: [{ userId: 'u2', x: 2, y: 2 }] })
    expect(batcher.positions()).toEqual([{ userId: 'u2', x: 2, y: 2 }])
  })

  it('[CUR4] when positions are asked for, then every present user is listed at the latest position, drained or not', () => {
    const batcher = new CursorBatcher()
    batcher.move('u1', 1, 1)
    batcher.drain()
    batcher.move('u2', 2, 2)
    expect(batcher.positions()).toEqual([
      { userId: 'u1', x: 1, y: 1 },
      { userId: 'u2', x: 2, y: 2 },
    ])
  })
})

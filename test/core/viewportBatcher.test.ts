import { describe, expect, it } from 'vitest'
import { ViewportBatcher } from '../../src/core/viewportBatcher.js'

const view = (userId: string, x: number, width = 800) => ({ userId, x, y: x / 2, width, height: 600 })

describe('ViewportBatcher', () => {
  it('[VIEW1] when a user pans several times between drains, then only the latest viewport is sent, once', () => {
    const batcher = new ViewportBatcher()
    batcher.move(view('u1', 1))
    batcher.move(view('u2', 5))
    batcher.move(view('u1', 30, 1600))
    expect(batcher.drain()).toEqual({ type: 'viewports', viewports: [view('u1', 30, 1600), view('u2', 5)] })
    expect(batcher.drain()).toBeUndefined()
    batcher.move(view('u2', 7))
    expect(batcher.drain()).toEqual({ type: 'viewports', viewports: [view('u2', 7)] })
  })

  it('[VIEW2] when a user is removed, then they are neither drained nor listed', () => {
    const batcher = new ViewportBatcher()
    batcher.move(view('u1', 1))
    batcher.move(view('u2', 2))
    batcher.remove('u1')
    expect(batcher.drain()).toEqual({ type: 'viewports', viewports: [view('u2', 2)] })
    expect(batcher.all()).toEqual([view('u2', 2)])
  })

  it('[VIEW3] when a member joins after the others stopped moving, then all() still lists everyone at their latest', () => {
    const batcher = new ViewportBatcher()
    batcher.move(view('u1', 1))
    batcher.move(view('u1', 2))
    batcher.move(view('u2', 3))
    batcher.drain()
    expect(batcher.all()).toEqual([view('u1', 2), view('u2', 3)])
  })
})

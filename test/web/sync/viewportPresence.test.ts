import { afterEach, describe, expect, it, vi } from 'vitest'
import { ViewportPresence, wireViewport } from '../../../src/web/sync/viewportPresence.js'

// ViewportPresence alone: the server's messages in, the frames handed to `send`, a fake clock.

const INTERVAL_MS = 50

afterEach(() => {
  vi.useRealTimers()
})

function newPresence() {
  const frames: Record<string, unknown>[] = []
  let online = true
  const presence = new ViewportPresence({
    send: (message) => {
      if (online) frames.push(message as Record<string, unknown>)
      return online
    },
    now: () => Date.now(),
    intervalMs: INTERVAL_MS,
  })
  return { presence, frames, setOnline: (value: boolean) => (online = value) }
}

const rect = (x: number) => ({ x, y: 0, width: 1280, height: 800 })

describe('ViewportPresence', () => {
  it('[PROTO19] when I pan many times quickly, then at most one frame per interval goes out, always the latest', () => {
    vi.useFakeTimers()
    const { presence, frames } = newPresence()
    presence.join('me')
    presence.move(rect(1))
    for (let x = 2; x <= 10; x++) presence.move(rect(x))
    expect(frames).toEqual([{ type: 'viewport', ...rect(1) }])
    vi.advanceTimersByTime(INTERVAL_MS)
    expect(frames).toEqual([
      { type: 'viewport', ...rect(1) },
      { type: 'viewport', ...rect(10) },
    ])
    // The same view again is not resent.
    vi.advanceTimersByTime(INTERVAL_MS)
    presence.move(rect(10))
    expect(frames).toHaveLength(2)
  })

  it('[PROTO19] when the socket comes back, then my last view goes out again (the server forgot it)', () => {
    vi.useFakeTimers()
    const { presence, frames, setOnline } = newPresence()
    presence.join('me')
    presence.move(rect(5))
    setOnline(false)
    presence.leave()
    setOnline(true)
    vi.advanceTimersByTime(INTERVAL_MS)
    presence.join('me')
    expect(frames).toEqual([
      { type: 'viewport', ...rect(5) },
      { type: 'viewport', ...rect(5) },
    ])
  })

  it('[PROTO19] when others’ viewports arrive, then they show by user, never mine, and go with their user or the socket', () => {
    const { presence } = newPresence()
    presence.join('me')
    const before = presence.viewports
    presence.handle({
      type: 'viewports',
      viewports: [
        { userId: 'bob', ...rect(3) },
        { userId: 'me', ...rect(9) },
      ],
    })
    expect([...presence.viewports.keys()]).toEqual(['bob'])
    expect(presence.viewports).not.toBe(before)
    expect(presence.viewports).toBe(presence.viewports)
    expect(presence.forget('bob')).toBe(true)
    expect(presence.viewports.size).toBe(0)
    presence.handle({ type: 'viewports', viewports: [{ userId: 'carol', ...rect(1) }] })
    presence.leave()
    expect(presence.viewports.size).toBe(0)
  })

  it('[PROTO19] when a view is not finite or out of the protocol’s bounds, then it is clamped to what the server accepts, or not sent', () => {
    expect(wireViewport({ x: Number.NaN, y: 0, width: 1, height: 1 })).toBeUndefined()
    expect(wireViewport({ x: 0, y: 0, width: Number.POSITIVE_INFINITY, height: 1 })).toBeUndefined()
    expect(wireViewport({ x: -5e9, y: 5e9, width: 0.001, height: 9e9 })).toEqual({
      x: -10_000_000,
      y: 10_000_000,
      width: 1,
      height: 20_000_000,
    })
    expect(wireViewport({ x: 1.23456, y: -7.891, width: 800.555, height: 600 })).toEqual({
      x: 1.23,
      y: -7.89,
      width: 800.56,
      height: 600,
    })
  })
})

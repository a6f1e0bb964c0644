import { afterEach, describe, expect, it, vi } from 'vitest'
import { OBJECT_LIMITS } from '../../../src/protocol/objects.js'
import { Presence } from '../../../src/web/sync/presence.js'

// Presence alone: the messages a server sends, the frames it hands to `send`, Vitest's fake clock.

const INTERVAL_MS = 50
const carol = { userId: 'carol', username: 'Carol', color: '#e5484d' }
const me = { userId: 'me', username: 'Me', color: '#111111' }

afterEach(() => {
  vi.useRealTimers()
})

function newPresence() {
  const frames: { type: string; [key: string]: unknown }[] = []
  let online = true
  const presence = new Presence({
    send: (message) => {
      if (online) frames.push(message as { type: string })
      return online
    },
    now: () => Date.now(),
    cursorIntervalMs: INTERVAL_MS,
  })
  return { presence, frames, setOnline: (value: boolean) => (online = value) }
}

describe('Presence', () => {
  it('[SYNC27] [SYNC28] [SYNC32] when others move, select, come and go, then their cursors and selections show, never mine', () => {
    const { presence } = newPresence()
    presence.join('me', [me])
    presence.handle({
      type: 'cursors',
      cursors: [
        { userId: 'carol', x: 1, y: 2 },
        { userId: 'me', x: 9, y: 9 },
      ],
    })
    expect([...presence.cursors.keys()]).toEqual(['carol'])
    expect(presence.cursors.get('carol')).toMatchObject({ username: '', x: 1, y: 2 })

    presence.handle({ type: 'user-connected', ...carol })
    expect(presence.users).toEqual([me, carol])
    expect(presence.cursors.get('carol')).toMatchObject({ username: 'Carol', color: carol.color })

    presence.handle({
      type: 'selections',
      selections: [
        { userId: 'carol', ids: ['r1'] },
        { userId: 'me', ids: ['r2'] },
      ],
    })
    expect([...presence.selections]).toEqual([['carol', ['r1']]])
    presence.handle({ type: 'selections', selections: [{ userId: 'carol', ids: [] }] })
    expect(presence.selections.size).toBe(0)

    presence.handle({ type: 'selections', selections: [{ userId: 'carol', ids: ['r3'] }] })
    presence.handle({ type: 'user-disconnected', userId: 'carol', username: 'Carol' })
    expect(presence.users).toEqual([me])
    expect(presence.cursors.size).toBe(0)
    expect(presence.selections.size).toBe(0)
  })

  it('[SYNC29] when nothing changed, then cursors and selections are the same objects; a change makes new ones', () => {
    const { presence } = newPresence()
    presence.join('me', [me, carol])
    const cursors = presence.cursors
    const selections = presence.selections
    expect(presence.cursors).toBe(cursors)
    presence.handle({ type: 'selections', selections: [{ userId: 'carol', ids: [] }] }) // nothing to clear
    expect(presence.selections).toBe(selections)
    presence.handle({ type: 'cursors', cursors: [{ userId: 'carol', x: 1, y: 1 }] })
    expect(presence.cursors).not.toBe(cursors)
    expect(presence.selections).toBe(selections)
  })

  it('[SYNC27] when the cursor moves in a burst, then one frame goes at once and one with the latest position after the interval; nothing while not joined', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { presence, frames } = newPresence()
    presence.moveCursor(1, 1)
    expect(frames).toEqual([])
    presence.join('me', [me])
    expect(frames).toEqual([{ type: 'cursor', x: 1, y: 1 }])
    for (let i = 2; i <= 100; i++) presence.moveCursor(i, 2 * i)
    presence.moveCursor(Number.NaN, 3)
    expect(frames).toHaveLength(1)
    vi.advanceTimersByTime(INTERVAL_MS)
    expect(frames).toEqual([
      { type: 'cursor', x: 1, y: 1 },
      { type: 'cursor', x: 100, y: 200 },
    ])
    presence.moveCursor(1e12, -1e12) // clamped to the protocol's bound
    vi.advanceTimersByTime(INTERVAL_MS)
    expect(frames.at(-1)).toEqual({
      type: 'cursor',
      x: OBJECT_LIMITS.coordinate,
      y: -OBJECT_LIMITS.coordinate,
    })
    presence.stop()
  })

  it('[SYNC32] when the selection is set, then it is sent once per change, and again after a lost socket', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const { presence, frames } = newPresence()
    presence.join('me', [me])
    presence.select(['r1'])
    presence.select(['r1'])
    vi.advanceTimersByTime(INTERVAL_MS)
    expect(frames).toEqual([{ type: 'selection', ids: ['r1'] }])
    presence.select(Array.from({ length: 600 }, (_, i) => `id${i}`))
    vi.advanceTimersByTime(INTERVAL_MS)
    expect(frames.at(-1)?.ids).toHaveLength(500)

    presence.handle({ type: 'user-connected', ...carol })
    presence.leave()
    expect(presence.users).toEqual([])
    presence.join('me', [me])
    vi.advanceTimersByTime(INTERVAL_MS)
    expect(frames).toHaveLength(3)
    expect(frames.at(-1)?.ids).toHaveLength(500)
    presence.stop()
  })
})

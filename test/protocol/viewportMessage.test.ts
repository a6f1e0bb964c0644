import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MESSAGE_LIMITS } from '../../src/protocol/clientMessageSchemas.js'
import { parseClientMessage } from '../../src/protocol/messages.js'
import { OBJECT_LIMITS } from '../../src/protocol/objects.js'
import { FC_SEED, coordArb } from './arbitraries.js'

// [PROTO19] `viewport`: what the sender sees of the canvas, so the others can follow it.

const sizeArb = fc.double({ min: 1, max: MESSAGE_LIMITS.viewportSize, noNaN: true, noDefaultInfinity: true })

function refusal(text: string): { field?: string; message: string } {
  const result = parseClientMessage(text)
  expect(result.ok, text.slice(0, 200)).toBe(false)
  if (result.ok) throw new Error('accepted')
  expect(result.code).toBe('invalid_input')
  return result
}

const frame = (fields: Record<string, unknown>) =>
  JSON.stringify({ type: 'viewport', x: 0, y: 0, width: 800, height: 600, ...fields })

describe(`[PROTO19] viewport messages (FC_SEED=${FC_SEED})`, () => {
  it('[PROTO19] when a viewport is valid by the grammar then it is accepted exactly as sent', () => {
    const frames = fc.record({
      type: fc.constant('viewport'),
      x: coordArb,
      y: coordArb,
      width: sizeArb,
      height: sizeArb,
    })
    fc.assert(
      fc.property(frames, (f) => {
        const text = JSON.stringify(f)
        expect(parseClientMessage(text)).toEqual({ ok: true, message: JSON.parse(text) as unknown })
      }),
      { seed: FC_SEED, numRuns: 500 },
    )
  })

  it('[PROTO19] when a viewport is hostile (NaN, Infinity, huge, wrong type, missing, extra key) then it is refused, naming the field', () => {
    // JSON has no NaN: a client that serialises one sends text that is not JSON.
    expect(refusal('{"type":"viewport","x":NaN,"y":0,"width":800,"height":600}').message).toBe('invalid JSON')
    const cases: [string, string][] = [
      ['{"type":"viewport","x":1e400,"y":0,"width":800,"height":600}', 'x'],
      [frame({ y: OBJECT_LIMITS.coordinate * 2 }), 'y'],
      [frame({ width: MESSAGE_LIMITS.viewportSize + 1 }), 'width'],
      [frame({ height: 0 }), 'height'],
      [frame({ width: -5 }), 'width'],
      [frame({ x: '10' }), 'x'],
      [frame({ height: null }), 'height'],
      [frame({ width: [800] }), 'width'],
      [JSON.stringify({ type: 'viewport', x: 0, y: 0, width: 800 }), 'height'],
      [frame({ scale: 2 }), 'scale'],
      [frame({ userId: 'someone-else' }), 'userId'],
    ]
    for (const [text, field] of cases) expect(refusal(text).field, text).toBe(field)
    expect(refusal('{"type":"viewport","x":0,"y":0,"width":8,"height":6,"__proto__":{"x":1}}').field).toBe(
      '__proto__',
    )
  })
})

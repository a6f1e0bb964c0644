import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MESSAGE_LIMITS } from '../../src/protocol/clientMessageSchemas.js'
import { parseClientMessage } from '../../src/protocol/messages.js'
import { OBJECT_LIMITS } from '../../src/protocol/objects.js'
import { FC_SEED, coordArb, idArb } from './arbitraries.js'

// [PROTO18] `preview`: a drag or transform in progress, relayed as presence and never logged.

const scaleArb = fc.double({
  min: -MESSAGE_LIMITS.previewScale,
  max: MESSAGE_LIMITS.previewScale,
  noNaN: true,
  noDefaultInfinity: true,
})
const previewObjectArb = fc.record(
  { id: idArb, x: coordArb, y: coordArb, rotation: coordArb, scaleX: scaleArb, scaleY: scaleArb },
  { requiredKeys: ['id', 'x', 'y'] },
)

function refused(frame: unknown): { field?: string; message: string } {
  const result = parseClientMessage(JSON.stringify(frame))
  expect(result.ok, JSON.stringify(frame).slice(0, 200)).toBe(false)
  if (result.ok) throw new Error('accepted')
  expect(result.code).toBe('invalid_input')
  return result
}

describe(`[PROTO18] preview messages (FC_SEED=${FC_SEED})`, () => {
  it('[PROTO18] when a preview is valid by the grammar then it is accepted exactly as sent', () => {
    const frames = fc.record({
      type: fc.constant('preview'),
      objects: fc.array(previewObjectArb, { maxLength: 20 }),
    })
    fc.assert(
      fc.property(frames, (frame) => {
        const text = JSON.stringify(frame)
        expect(parseClientMessage(text)).toEqual({ ok: true, message: JSON.parse(text) as unknown })
      }),
      { seed: FC_SEED, numRuns: 500 },
    )
  })

  it('[PROTO18] when a preview ends (no objects) then it is accepted', () => {
    expect(parseClientMessage('{"type":"preview","objects":[]}').ok).toBe(true)
  })

  it('[PROTO18] when a preview carries more objects than the bound then it is refused before the schema, naming objects', () => {
    const objects = Array.from({ length: MESSAGE_LIMITS.previewObjects + 1 }, (_, i) => ({
      id: `o${i}`,
      x: 0,
      y: 0,
    }))
    expect(refused({ type: 'preview', objects }).field).toBe('objects')
    expect(parseClientMessage(JSON.stringify({ type: 'preview', objects: objects.slice(1) })).ok).toBe(true)
  })

  it('[PROTO18] when a preview object is hostile then it is refused, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ id: 'a', x: 0 }, 'objects[0].y'],
      [{ id: 'a', x: 0, y: 0, width: 5 }, 'objects[0].width'],
      [{ id: 'a', x: OBJECT_LIMITS.coordinate * 2, y: 0 }, 'objects[0].x'],
      [{ id: 'a', x: 0, y: 0, scaleX: MESSAGE_LIMITS.previewScale + 1 }, 'objects[0].scaleX'],
      [{ id: '../etc', x: 0, y: 0 }, 'objects[0].id'],
      [{ id: 'a', x: '1', y: 0 }, 'objects[0].x'],
      [{ id: 'a', x: 0, y: 0, text: 'stored?' }, 'objects[0].text'],
    ]
    for (const [object, field] of cases)
      expect(refused({ type: 'preview', objects: [object] }).field).toBe(field)
    const poisoned = parseClientMessage(
      '{"type":"preview","objects":[{"id":"a","x":0,"y":0,"__proto__":{"x":1}}]}',
    )
    expect(poisoned.ok).toBe(false)
    if (!poisoned.ok) expect(poisoned.field).toBe('objects[0].__proto__')
    expect(refused({ type: 'preview' }).field).toBe('objects')
    expect(refused({ type: 'preview', objects: [], opId: 'x' }).field).toBe('opId')
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CLIENT_MESSAGE_TYPES, parseClientMessage, type ParseResult } from '../../src/protocol/messages.js'
import { FC_SEED, changesArb, coordArb, idArb, newObjectArb } from './arbitraries.js'

const seed = FC_SEED

/** The answer's shape whatever the input: a message, or invalid_input with short strings [PROTO1, PROTO3]. */
function expectWellFormed(result: ParseResult, text: string) {
  if (result.ok) {
    expect(result.message).toEqual(JSON.parse(text) as unknown)
    return
  }
  expect(result.code).toBe('invalid_input')
  expect(typeof result.message).toBe('string')
  if (result.field !== undefined) expect(result.field.length).toBeLessThan(300)
  if (result.opId !== undefined) expect(result.opId.length).toBeLessThanOrEqual(64)
}

const neverThrows = (text: string) => {
  expectWellFormed(parseClientMessage(text), text)
}

describe(`parseClientMessage properties (FC_SEED=${seed})`, () => {
  it('[PROTO2] when the input is any string, then it answers without throwing', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), neverThrows), {
      seed,
      numRuns: 1000,
    })
  })

  it('[PROTO2] when the input is any JSON text, then it answers without throwing', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 6 }), neverThrows), { seed, numRuns: 1000 })
  })

  it('[PROTO2] when the input is JSON.stringify of anything, then it answers without throwing', () => {
    const texts = fc
      .anything({ maxDepth: 5, withNullPrototype: true, withObjectString: true })
      .map((v) => JSON.stringify(v) as string | undefined)
      .filter((t): t is string => typeof t === 'string')
    fc.assert(fc.property(texts, neverThrows), { seed, numRuns: 1000 })
  })

  it('[PROTO2] when a frame has a known type and arbitrary fields, then it answers without throwing', () => {
    const field = fc.constantFrom(
      'opId',
      'id',
      'object',
      'changes',
      'x',
      'y',
      't',
      'token',
      'lastSeq',
      '__proto__',
    )
    const frames = fc
      .tuple(
        fc.constantFrom(...CLIENT_MESSAGE_TYPES),
        fc.dictionary(field, fc.oneof(fc.anything({ maxDepth: 3 }), changesArb(), newObjectArb())),
      )
      .map(([type, rest]) => JSON.stringify({ ...rest, type }))
    fc.assert(fc.property(frames, neverThrows), { seed, numRuns: 1000 })
  })

  it('[PROTO1] when a frame is valid by the grammar, then it is accepted exactly as sent', () => {
    const frames = fc.oneof(
      fc.record({ type: fc.constant('object-create'), opId: idArb, object: newObjectArb() }),
      fc.record({
        type: fc.constant('object-update'),
        opId: idArb,
        id: idArb,
        changes: changesArb(fc.oneof(idArb, fc.constant(null))).filter((c) => Object.keys(c).length > 0),
      }),
      fc.record({ type: fc.constant('object-delete'), opId: idArb, id: idArb }),
      fc.record({ type: fc.constant('cursor'), x: coordArb, y: coordArb }),
      fc.record({ type: fc.constant('ping'), t: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
      fc.record(
        { type: fc.constant('auth'), token: fc.string({ maxLength: 100 }), lastSeq: fc.nat() },
        { requiredKeys: ['type'] },
      ),
    )
    fc.assert(
      fc.property(frames, (frame) => {
        const text = JSON.stringify(frame)
        const result = parseClientMessage(text)
        expect(result).toEqual({ ok: true, message: JSON.parse(text) as unknown })
      }),
      { seed, numRuns: 1000 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import { parseClientMessage } from '../../src/protocol/messages.js'
import { OBJECT_LIMITS } from '../../src/protocol/objects.js'

// [ED-C1] Connector and shape-detail fields: optional (older clients' objects stay valid), bounded.

const create = (object: Record<string, unknown>) =>
  JSON.stringify({ type: 'object-create', opId: 'op-1', object: { id: 'a1', type: 'arrow', ...object } })
const update = (changes: Record<string, unknown>) =>
  JSON.stringify({ type: 'object-update', opId: 'op-1', id: 'a1', changes })

function fieldOf(text: string): string | undefined {
  const result = parseClientMessage(text)
  expect(result.ok, text.slice(0, 200)).toBe(false)
  return result.ok ? undefined : result.field
}

describe('[ED-C1] connector fields on the wire', () => {
  it('[ED-C1] when a connector binds both ends, dashes and chooses arrowheads then it is accepted as sent', () => {
    const object = {
      points: [0, 0, 100, 50],
      startId: 'box-1',
      endId: 'box_2',
      dash: [4, 3],
      arrowStart: true,
      arrowEnd: false,
    }
    expect(parseClientMessage(create(object))).toMatchObject({ ok: true, message: { object } })
    expect(parseClientMessage(update({ startId: null, endId: null, dash: [] })).ok).toBe(true)
    expect(parseClientMessage(update({ cornerRadius: 12 })).ok).toBe(true)
  })

  it('[ED-C1] when an object of an older client has none of the new fields then it is still accepted', () => {
    expect(parseClientMessage(create({ x: 1, y: 2, points: [0, 0, 1, 1], stroke: '#000' })).ok).toBe(true)
  })

  it('[ED-C1] when the new fields are hostile then they are refused naming the field', () => {
    expect(fieldOf(create({ startId: '../../etc/passwd' }))).toBe('object.startId')
    expect(fieldOf(create({ endId: 'x'.repeat(65) }))).toBe('object.endId')
    expect(fieldOf(create({ endId: 42 }))).toBe('object.endId')
    expect(fieldOf(create({ dash: [1, -1] }))).toBe('object.dash[1]')
    expect(fieldOf(create({ dash: Array(OBJECT_LIMITS.dash + 1).fill(1) }))).toBe('object.dash')
    expect(fieldOf(update({ dash: Array(100_000).fill('x') }))).toBe('changes.dash')
    expect(fieldOf(update({ cornerRadius: -1 }))).toBe('changes.cornerRadius')
    expect(fieldOf(update({ arrowStart: 'yes' }))).toBe('changes.arrowStart')
  })
})

describe('[ED-S3] the lock on the wire', () => {
  it('[ED-S3] when an object is created locked or unlocked by an update then it is accepted as sent', () => {
    expect(parseClientMessage(create({ locked: true }))).toMatchObject({
      ok: true,
      message: { object: { locked: true } },
    })
    expect(parseClientMessage(update({ locked: false })).ok).toBe(true)
  })

  it('[ED-S3] when locked is not a boolean then it is refused naming the field', () => {
    expect(fieldOf(create({ locked: 'true' }))).toBe('object.locked')
    expect(fieldOf(update({ locked: 1 }))).toBe('changes.locked')
    expect(fieldOf(update({ locked: null }))).toBe('changes.locked')
  })
})

import { describe, expect, it } from 'vitest'
import type { Op } from '../../../src/core/room/logEntry.js'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { prepareEdit } from '../../../src/web/sync/prepareEdit.js'

const AT = '2026-01-01T00:00:00.000Z'
const r1: CanvasObject = {
  id: 'r1',
  type: 'rect',
  x: 0,
  points: [1, 2],
  createdBy: 'me',
  updatedAt: AT,
  version: 1,
}
const view = new Map([['r1', r1]])

describe('prepareEdit', () => {
  it.each<[string, Op, ReturnType<typeof prepareEdit>]>([
    [
      'a create of a new id',
      { kind: 'create', object: { id: 'r2', type: 'rect' } },
      { kind: 'send', op: { kind: 'create', object: { id: 'r2', type: 'rect' } } },
    ],
    [
      'a create of an id in the view',
      { kind: 'create', object: { id: 'r1', type: 'rect' } },
      { kind: 'refuse', code: 'conflict', message: 'an object r1 already exists' },
    ],
    [
      'an update of a missing id',
      { kind: 'update', id: 'nope', changes: { x: 1 } },
      { kind: 'refuse', code: 'not_found', message: 'no object nope' },
    ],
    [
      'an update with some values already there',
      { kind: 'update', id: 'r1', changes: { x: 0, y: 4, points: [1, 2], fill: undefined } },
      { kind: 'send', op: { kind: 'update', id: 'r1', changes: { y: 4 } } },
    ],
    ['an update that changes nothing', { kind: 'update', id: 'r1', changes: { x: 0 } }, { kind: 'skip' }],
    ['a delete of a missing id', { kind: 'delete', id: 'nope' }, { kind: 'skip' }],
    ['a delete', { kind: 'delete', id: 'r1' }, { kind: 'send', op: { kind: 'delete', id: 'r1' } }],
    [
      'an edit over 256 KiB',
      { kind: 'update', id: 'r1', changes: { text: '€'.repeat(90_000) } },
      { kind: 'refuse', code: 'payload_too_large', message: 'an edit is at most 256 KiB' },
    ],
  ])('[SYNC30] when %s, then %j', (_, op, expected) => {
    expect(prepareEdit(op, view)).toEqual(expected)
  })
})

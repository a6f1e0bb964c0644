import { describe, expect, it } from 'vitest'
import {
  encodeServerMessage,
  type BatchMessage,
  type UnbatchedServerMessage,
} from '../../src/protocol/messages.js'
import type { CanvasObject } from '../../src/protocol/objects.js'

const object: CanvasObject = {
  id: 'r1',
  type: 'rect',
  x: 1,
  y: 2,
  fill: '#fff',
  parentId: null,
  createdBy: 'u1',
  updatedAt: '2026-11-28T00:00:00.000Z',
  version: 1,
}

const messages: UnbatchedServerMessage[] = [
  {
    type: 'auth-success',
    userId: 'u1',
    username: 'ada',
    color: '#e11d48',
    role: 'editor',
    seq: 3,
    objects: [object],
    users: [{ userId: 'u1', username: 'ada', color: '#e11d48' }],
  },
  {
    type: 'auth-success',
    userId: 'u1',
    username: 'ada',
    color: '#e11d48',
    role: 'viewer',
    seq: 9,
    objects: [],
    users: [],
    resumed: true,
  },
  { type: 'ack', opId: 'o1', seq: 4 },
  { type: 'object-created', object, userId: 'u1', seq: 4 },
  { type: 'object-updated', id: 'r1', changes: { x: 5, parentId: null }, userId: 'u1', seq: 5 },
  { type: 'object-deleted', id: 'r1', userId: 'u1', seq: 6 },
  { type: 'cursors', cursors: [{ userId: 'u1', x: 1, y: 2 }] },
  {
    type: 'selections',
    selections: [
      { userId: 'u1', ids: ['r1'] },
      { userId: 'u2', ids: [] },
    ],
  },
  { type: 'user-connected', userId: 'u2', username: 'bob', color: '#000' },
  { type: 'user-disconnected', userId: 'u2', username: 'bob' },
  {
    type: 'error',
    code: 'invalid_input',
    message: 'object.x must be a finite number',
    opId: 'o1',
    field: 'object.x',
  },
  { type: 'pong', t: 123 },
]

describe('encodeServerMessage', () => {
  it.each(messages.map((m) => [m.type, m]))(
    '[PROTO30] when a %s message is encoded, then JSON.parse gives it back',
    (_, message) => {
      expect(JSON.parse(encodeServerMessage(message))).toEqual(message)
    },
  )

  it('[PROTO30] when messages are batched, then one frame carries them in order', () => {
    const batch: BatchMessage = {
      type: 'batch',
      messages: messages.filter((m) => m.type !== 'auth-success'),
    }
    const decoded = JSON.parse(encodeServerMessage(batch)) as { type: string; messages: { type: string }[] }
    expect(decoded.type).toBe('batch')
    expect(decoded.messages.map((m) => m.type)).toEqual(batch.messages.map((m) => m.type))
  })
})

import { describe, expect, it } from 'vitest'
import { decideBatch as decideRequests, type Decision, type Member } from '../../../src/core/room/decideOp.js'
import { opFromMessage } from '../../../src/core/room/opFromMessage.js'
import { emptyRoom, roomFromSnapshot, stateHash, type RoomState } from '../../../src/core/room/roomState.js'
import { OBJECT_LIMITS, type CanvasObject } from '../../../src/protocol/objects.js'
import {
  T0,
  commit,
  createMsg,
  deleteMsg,
  editor,
  owner,
  requestItems,
  updateMsg,
  viewer,
} from './roomFixtures.js'
import type { ClientOpMessage } from '../../../src/protocol/messages.js'

/** Decisions on client frames, converted as the gateway does. */
const decideBatch = (state: RoomState, items: readonly { member: Member; message: ClientOpMessage }[]) =>
  decideRequests(state, requestItems(items))
const decideOp = (state: RoomState, member: Member, message: ClientOpMessage) =>
  decideBatch(state, [{ member, message }])[0] as Decision

const stored = (id: string, extra: Partial<CanvasObject> = {}): CanvasObject => ({
  id,
  type: 'rect',
  createdBy: owner.userId,
  updatedAt: new Date(T0).toISOString(),
  version: 1,
  ...extra,
})

/** A room at seq 10 holding a, b, and c inside b. */
const room = (): RoomState => roomFromSnapshot(10, [stored('a'), stored('b'), stored('c', { parentId: 'b' })])

const kinds = (decisions: Decision[]) =>
  decisions.map((d) =>
    d.kind === 'reject' ? `reject:${d.code}` : d.kind === 'duplicate' ? `duplicate:${d.seq}` : d.kind,
  )

describe('opFromMessage', () => {
  it('[ROOM1] when op messages are converted, then each becomes the matching Op', () => {
    expect(opFromMessage(createMsg('o1', { id: 'n', x: 1 })).op).toEqual({
      kind: 'create',
      object: { id: 'n', type: 'rect', x: 1 },
    })
    expect(opFromMessage(updateMsg('o2', 'a', { x: 2 })).op).toEqual({
      kind: 'update',
      id: 'a',
      changes: { x: 2 },
    })
    expect(opFromMessage(deleteMsg('o3', 'a'))).toEqual({ opId: 'o3', op: { kind: 'delete', id: 'a' } })
  })
})

describe('decideOp: single ops', () => {
  const table: [string, Member, ReturnType<typeof createMsg>, string, string | undefined][] = [
    ['[ROOM4] when a viewer creates', viewer, createMsg('o', { id: 'n' }), 'reject:forbidden', undefined],
    ['[ROOM4] when a viewer updates', viewer, updateMsg('o', 'a', { x: 1 }), 'reject:forbidden', undefined],
    ['[ROOM4] when a viewer deletes', viewer, deleteMsg('o', 'a'), 'reject:forbidden', undefined],
    ['[ROOM4] when an editor creates', editor, createMsg('o', { id: 'n' }), 'append', undefined],
    ['[ROOM4] when an owner deletes', owner, deleteMsg('o', 'a'), 'append', undefined],
    [
      '[ROOM7] when a create of a taken id',
      editor,
      createMsg('o', { id: 'a' }),
      'reject:conflict',
      'object.id',
    ],
    [
      '[ROOM7] when an update of a missing id',
      editor,
      updateMsg('o', 'zz', { x: 1 }),
      'reject:not_found',
      'id',
    ],
    ['[ROOM7] when a delete of a missing id', editor, deleteMsg('o', 'zz'), 'reject:not_found', 'id'],
    [
      '[ROOM9] a create under a missing parent',
      editor,
      createMsg('o', { id: 'n', parentId: 'zz' }),
      'reject:invalid_input',
      'object.parentId',
    ],
    [
      '[ROOM9] a create that is its own parent',
      editor,
      createMsg('o', { id: 'n', parentId: 'n' }),
      'reject:invalid_input',
      'object.parentId',
    ],
    [
      '[ROOM9] a create under an existing parent',
      editor,
      createMsg('o', { id: 'n', parentId: 'b' }),
      'append',
      undefined,
    ],
    [
      '[ROOM9] a create with a null parent',
      editor,
      createMsg('o', { id: 'n', parentId: null }),
      'append',
      undefined,
    ],
    [
      '[ROOM9] an update under a missing parent',
      editor,
      updateMsg('o', 'a', { parentId: 'zz' }),
      'reject:invalid_input',
      'changes.parentId',
    ],
    [
      '[ROOM9] an update that parents itself',
      editor,
      updateMsg('o', 'a', { parentId: 'a' }),
      'reject:invalid_input',
      'changes.parentId',
    ],
    [
      '[ROOM9] an update putting b inside its child c',
      editor,
      updateMsg('o', 'b', { parentId: 'c' }),
      'reject:invalid_input',
      'changes.parentId',
    ],
    [
      '[ROOM9] an update putting a inside b',
      editor,
      updateMsg('o', 'a', { parentId: 'b' }),
      'append',
      undefined,
    ],
    [
      '[ROOM9] an update clearing a parent',
      editor,
      updateMsg('o', 'c', { parentId: null }),
      'append',
      undefined,
    ],
  ]
  it.each(table)('%s, then the decision is %s', (_, member, message, expected, field) => {
    const state = room()
    const decision = decideOp(state, member, message)
    expect(kinds([decision])).toEqual([expected])
    if (decision.kind === 'reject') expect(decision.field).toBe(field)
  })

  it('[ROOM4] when an editor op is appended, then the input carries the opId, the user and the Op', () => {
    const message = updateMsg('op-9', 'a', { fill: 'red' })
    expect(decideOp(room(), editor, message)).toEqual({
      kind: 'append',
      input: {
        opId: 'op-9',
        userId: editor.userId,
        op: { kind: 'update', id: 'a', changes: { fill: 'red' } },
      },
      // What it adds to the canvas: the value `"red"` where there was no fill [ROOM26].
      bytes: '"red"'.length,
    })
  })

  it('[ROOM9] when the existing parents already loop, then the check ends and names no false cycle', () => {
    const state = roomFromSnapshot(3, [
      stored('p', { parentId: 'q' }),
      stored('q', { parentId: 'p' }),
      stored('x'),
    ])
    expect(decideOp(state, editor, updateMsg('o', 'x', { parentId: 'p' })).kind).toBe('append')
  })
})

describe('decideOp: dedup', () => {
  it('[ROOM5] when an op already in the log is sent again, then it is a duplicate with the first seq', () => {
    const state = room()
    const first = commit(state, [{ member: editor, message: updateMsg('again', 'a', { x: 1 }) }])
    expect(first.entries.map((e) => e.seq)).toEqual([11])
    const resend = decideOp(state, editor, updateMsg('again', 'a', { x: 1 }))
    expect(resend).toEqual({ kind: 'duplicate', seq: 11 })
  })

  it('[ROOM5] when the same opId comes from another user, then it is a different op', () => {
    const state = room()
    commit(state, [{ member: editor, message: updateMsg('same', 'a', { x: 1 }) }])
    expect(decideOp(state, owner, updateMsg('same', 'a', { x: 2 })).kind).toBe('append')
  })

  it('[ROOM5] when a user lost edit rights after the op was stored, then the resend is still acked', () => {
    const state = room()
    commit(state, [{ member: editor, message: deleteMsg('del', 'a') }])
    const demoted: Member = { userId: editor.userId, role: 'viewer' }
    expect(decideOp(state, demoted, deleteMsg('del', 'a'))).toEqual({ kind: 'duplicate', seq: 11 })
  })

  it('[ROOM5] when one batch holds the same op twice, then the second points at the first', () => {
    const decisions = decideBatch(room(), [
      { member: owner, message: createMsg('x1', { id: 'n' }) },
      { member: editor, message: createMsg('dup', { id: 'm' }) },
      { member: editor, message: createMsg('dup', { id: 'm' }) },
    ])
    expect(decisions[2]).toEqual({ kind: 'duplicate-in-batch', index: 1 })
  })

  it('[ROOM5] when the first copy in a batch was rejected, then the second is decided on its own', () => {
    const decisions = decideBatch(room(), [
      { member: editor, message: updateMsg('r', 'missing', { x: 1 }) },
      { member: editor, message: updateMsg('r', 'missing', { x: 1 }) },
    ])
    expect(kinds(decisions)).toEqual(['reject:not_found', 'reject:not_found'])
  })
})

describe('decideBatch: items see earlier items', () => {
  const table: [string, [Member, ReturnType<typeof createMsg>][], string[]][] = [
    [
      'create then update then delete of a new id',
      [
        [editor, createMsg('1', { id: 'n' })],
        [editor, updateMsg('2', 'n', { x: 1 })],
        [owner, deleteMsg('3', 'n')],
      ],
      ['append', 'append', 'append'],
    ],
    [
      'two creates of one id',
      [
        [editor, createMsg('1', { id: 'n' })],
        [owner, createMsg('2', { id: 'n' })],
      ],
      ['append', 'reject:conflict'],
    ],
    [
      'delete then update',
      [
        [editor, deleteMsg('1', 'a')],
        [owner, updateMsg('2', 'a', { x: 1 })],
      ],
      ['append', 'reject:not_found'],
    ],
    [
      'delete then create of the same id',
      [
        [editor, deleteMsg('1', 'a')],
        [editor, createMsg('2', { id: 'a' })],
      ],
      ['append', 'append'],
    ],
    [
      'a rejected create makes nothing',
      [
        [viewer, createMsg('1', { id: 'n' })],
        [editor, updateMsg('2', 'n', { x: 1 })],
      ],
      ['reject:forbidden', 'reject:not_found'],
    ],
    [
      'a parent created earlier in the batch',
      [
        [editor, createMsg('1', { id: 'g', type: 'group' })],
        [editor, createMsg('2', { id: 'n', parentId: 'g' })],
      ],
      ['append', 'append'],
    ],
    [
      'a parent deleted earlier in the batch',
      [
        [editor, deleteMsg('1', 'b')],
        [editor, updateMsg('2', 'a', { parentId: 'b' })],
      ],
      ['append', 'reject:invalid_input'],
    ],
    [
      'a loop made across two updates of the batch',
      [
        [editor, updateMsg('1', 'a', { parentId: 'b' })],
        [editor, updateMsg('2', 'b', { parentId: 'a' })],
      ],
      ['append', 'reject:invalid_input'],
    ],
  ]
  it.each(table)('[ROOM6] when a batch holds %s, then the decisions are %j', (_, items, expected) => {
    const state = room()
    const before = stateHash(state)
    const opsBefore = [...state.recentOps]
    const decisions = decideBatch(
      state,
      items.map(([member, message]) => ({ member, message })),
    )
    expect(kinds(decisions)).toEqual(expected)
    expect(stateHash(state)).toBe(before)
    expect([...state.recentOps]).toEqual(opsBefore)
  })
})

describe('decideBatch: object limit', () => {
  const full = (n: number) =>
    roomFromSnapshot(
      1,
      Array.from({ length: n }, (_, i) => stored(`o${i}`)),
    )

  it('[ROOM8] when the canvas is full, then a create is limit_exceeded', () => {
    const decision = decideOp(full(OBJECT_LIMITS.objectsPerCanvas), editor, createMsg('c', { id: 'new' }))
    expect(kinds([decision])).toEqual(['reject:limit_exceeded'])
  })

  it('[ROOM8] when a batch would pass the limit, then only the creates that fit are appended', () => {
    const decisions = decideBatch(full(OBJECT_LIMITS.objectsPerCanvas - 1), [
      { member: editor, message: createMsg('1', { id: 'n1' }) },
      { member: editor, message: createMsg('2', { id: 'n2' }) },
      { member: editor, message: deleteMsg('3', 'o0') },
      { member: editor, message: createMsg('4', { id: 'n3' }) },
    ])
    expect(kinds(decisions)).toEqual(['append', 'reject:limit_exceeded', 'append', 'append'])
  })

  it('[ROOM8] when the room is empty, then creating is allowed', () => {
    expect(decideOp(emptyRoom(), editor, createMsg('c', { id: 'first' })).kind).toBe('append')
  })
})

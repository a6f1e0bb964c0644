import { describe, expect, it } from 'vitest'
import { parseClientMessage } from '../../src/protocol/messages.js'
import { OBJECT_LIMITS, OBJECT_TYPES } from '../../src/protocol/objects.js'

const create = (object: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'object-create',
    opId: 'op-1',
    object: { id: 'r1', type: 'rect', ...object },
    ...extra,
  })
const update = (changes: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'object-update', opId: 'op-1', id: 'r1', changes, ...extra })

function expectRejected(text: string, field: string | undefined, opId?: string) {
  const result = parseClientMessage(text)
  expect(result.ok, `accepted: ${String(text).slice(0, 200)}`).toBe(false)
  if (result.ok) return
  expect(result.code).toBe('invalid_input')
  expect(result.message.length).toBeGreaterThan(0)
  expect(result.field).toEqual(field)
  expect(result.opId).toBe(opId)
  return result
}

const fullObject = {
  id: 'shape_1-A',
  type: 'text',
  x: -10.5,
  y: 1e7,
  width: 100,
  height: 0,
  rotation: 45,
  fill: '#ff0000',
  stroke: 'rgba(0, 0, 0, 0.5)',
  strokeWidth: 2,
  opacity: 0.75,
  text: 'hello ✓',
  fontSize: 16,
  fontFamily: 'Inter, sans-serif',
  align: 'center',
  points: [0, 0, 10, 10],
  zIndex: 3,
  parentId: null,
  name: 'Title',
}

describe('parseClientMessage: valid frames', () => {
  const valid: [string, unknown][] = [
    ['auth with token and lastSeq', { type: 'auth', token: 'abc.def', lastSeq: 42 }],
    ['auth without token (cookie upgrade)', { type: 'auth' }],
    ['cursor', { type: 'cursor', x: 10.5, y: -3 }],
    ['selection', { type: 'selection', ids: ['r1', 'shape_2-B'] }],
    ['empty selection', { type: 'selection', ids: [] }],
    ['selection of 500 ids', { type: 'selection', ids: Array.from({ length: 500 }, (_, i) => `o${i}`) }],
    ['object-create, minimal', { type: 'object-create', opId: 'o1', object: { id: 'r1', type: 'rect' } }],
    ['object-create, every property', { type: 'object-create', opId: 'o1', object: fullObject }],
    ['object-update', { type: 'object-update', opId: 'o2', id: 'r1', changes: { x: 5, fill: 'red' } }],
    [
      'object-update clearing the parent',
      { type: 'object-update', opId: 'o2', id: 'r1', changes: { parentId: null } },
    ],
    ['object-delete', { type: 'object-delete', opId: 'o3', id: 'r1' }],
    ['ping', { type: 'ping', t: 1764300000000 }],
  ]
  it.each(valid)(
    '[PROTO1] when the frame is a valid %s, then the message is exactly what was sent',
    (_, value) => {
      const result = parseClientMessage(JSON.stringify(value))
      expect(result).toEqual({ ok: true, message: value })
    },
  )

  it.each(OBJECT_TYPES.map((type) => [type]))(
    '[PROTO12] when object.type is %s, then it is accepted',
    (type) => {
      expect(parseClientMessage(create({ type })).ok).toBe(true)
    },
  )

  const colors = [
    '#fff',
    '#FFFA',
    '#a1b2c3',
    '#a1b2c3d4',
    'rgb(255, 0, 0)',
    'rgba(255,0,0,0.5)',
    'rgb(255 0 0 / 50%)',
    'hsl(120, 50%, 50%)',
    'hsla(120deg 50% 50% / .5)',
    'hsl(0.5turn 10% 10%)',
    'red',
    'rebeccapurple',
    'transparent',
    'currentcolor',
  ]
  it.each(colors.map((c) => [c]))('[PROTO13] when a color is %s, then it is accepted', (color) => {
    expect(parseClientMessage(create({ fill: color, stroke: color })).ok).toBe(true)
  })

  it('[PROTO14] when numbers sit on the edges of their ranges, then they are accepted', () => {
    const edges = { strokeWidth: 0, fontSize: 1, opacity: 0, x: -OBJECT_LIMITS.coordinate }
    expect(parseClientMessage(create(edges)).ok).toBe(true)
    expect(parseClientMessage(create({ strokeWidth: 1000, fontSize: 1000, opacity: 1 })).ok).toBe(true)
  })

  it('[PROTO14] when strings are exactly at their caps, counted in characters, then they are accepted', () => {
    const text = '😀'.repeat(OBJECT_LIMITS.textLength) // 20,000 UTF-16 units, 10,000 characters
    const name = 'n'.repeat(OBJECT_LIMITS.nameLength)
    const fontFamily = 'f'.repeat(OBJECT_LIMITS.fontFamilyLength)
    expect(parseClientMessage(create({ text, name, fontFamily })).ok).toBe(true)
  })

  it('[PROTO15] when points hold the maximum count, then they are accepted', () => {
    const points = Array.from({ length: OBJECT_LIMITS.points }, (_, i) => i)
    expect(parseClientMessage(create({ type: 'path', points })).ok).toBe(true)
  })

  it('[PROTO11] when ids are 64 characters of the allowed alphabet, then they are accepted', () => {
    const id = 'aZ0_-'.repeat(13).slice(0, 64)
    const text = JSON.stringify({ type: 'object-delete', opId: id, id })
    expect(parseClientMessage(text).ok).toBe(true)
  })
})

describe('parseClientMessage: rejected frames', () => {
  const tooLong = 'x'.repeat(OBJECT_LIMITS.idLength + 1)
  const rejected: [string, string, string, string | undefined, string | undefined][] = [
    // [rule, case, frame, field, opId echoed]
    ['PROTO5', 'invalid JSON', '{"type":', undefined, undefined],
    ['PROTO5', 'empty text', '', undefined, undefined],
    ['PROTO5', 'a JSON array', '[{"type":"ping","t":1}]', undefined, undefined],
    ['PROTO5', 'a JSON string', '"ping"', undefined, undefined],
    ['PROTO5', 'null', 'null', undefined, undefined],
    ['PROTO5', 'no type', '{"t":1}', 'type', undefined],
    ['PROTO5', 'a non-string type', '{"type":7}', 'type', undefined],
    ['PROTO5', 'an unknown type', '{"type":"object-move","opId":"m1"}', 'type', 'm1'],
    ['PROTO5', 'an inherited name as type', '{"type":"constructor"}', 'type', undefined],
    ['PROTO6', 'an unknown top-level property', create({}, { admin: true }), 'admin', 'op-1'],
    ['PROTO6', 'an unknown object property', create({ onclick: 'x' }), 'object.onclick', 'op-1'],
    ['PROTO6', 'an unknown changes property', update({ x: 1, script: 'x' }), 'changes.script', 'op-1'],
    ['PROTO6', 'an opId on auth', '{"type":"auth","opId":"a1"}', 'opId', 'a1'],
    ['PROTO7', 'a fractional lastSeq', '{"type":"auth","lastSeq":1.5}', 'lastSeq', undefined],
    ['PROTO7', 'a negative lastSeq', '{"type":"auth","lastSeq":-1}', 'lastSeq', undefined],
    ['PROTO7', 'a numeric token', '{"type":"auth","token":123}', 'token', undefined],
    [
      'PROTO7',
      'an oversized token',
      JSON.stringify({ type: 'auth', token: 't'.repeat(8193) }),
      'token',
      undefined,
    ],
    ['PROTO8', 'a cursor without y', '{"type":"cursor","x":1}', 'y', undefined],
    ['PROTO8', 'a cursor with a string x', '{"type":"cursor","x":"1","y":1}', 'x', undefined],
    ['PROTO8', 'a cursor beyond the plane', '{"type":"cursor","x":1e8,"y":1}', 'x', undefined],
    ['PROTO17', 'a selection without ids', '{"type":"selection"}', 'ids', undefined],
    ['PROTO17', 'a selection with ids not an array', '{"type":"selection","ids":"r1"}', 'ids', undefined],
    ['PROTO17', 'a selection with a bad id', '{"type":"selection","ids":["r1","a b"]}', 'ids[1]', undefined],
    ['PROTO17', 'a selection with a numeric id', '{"type":"selection","ids":[1]}', 'ids[0]', undefined],
    [
      'PROTO17',
      'a selection of 501 ids',
      JSON.stringify({ type: 'selection', ids: Array.from({ length: 501 }, (_, i) => `o${i}`) }),
      'ids',
      undefined,
    ],
    ['PROTO17', 'a selection with an unknown key', '{"type":"selection","ids":[],"x":1}', 'x', undefined],
    ['PROTO8', 'a ping with a string t', '{"type":"ping","t":"now"}', 't', undefined],
    ['PROTO8', 'a ping without t', '{"type":"ping"}', 't', undefined],
    [
      'PROTO9',
      'a create without opId',
      '{"type":"object-create","object":{"id":"r","type":"rect"}}',
      'opId',
      undefined,
    ],
    ['PROTO9', 'a create without object', '{"type":"object-create","opId":"o"}', 'object', 'o'],
    [
      'PROTO9',
      'a create whose object is an array',
      '{"type":"object-create","opId":"o","object":[]}',
      'object',
      'o',
    ],
    [
      'PROTO9',
      'an object without id',
      '{"type":"object-create","opId":"o","object":{"type":"rect"}}',
      'object.id',
      'o',
    ],
    [
      'PROTO9',
      'an object without type',
      '{"type":"object-create","opId":"o","object":{"id":"r"}}',
      'object.type',
      'o',
    ],
    ['PROTO9', 'an update without id', '{"type":"object-update","opId":"o","changes":{"x":1}}', 'id', 'o'],
    ['PROTO9', 'an update without changes', '{"type":"object-update","opId":"o","id":"r"}', 'changes', 'o'],
    ['PROTO9', 'a delete without id', '{"type":"object-delete","opId":"o"}', 'id', 'o'],
    ['PROTO9', 'a numeric opId', '{"type":"object-delete","opId":5,"id":"r"}', 'opId', undefined],
    ['PROTO10', 'x = 1e400 (Infinity)', create({}).replace('"rect"', '"rect","x":1e400'), 'object.x', 'op-1'],
    ['PROTO10', 'y = -1e400', update({ x: 1 }).replace('"x":1', '"y":-1e400'), 'changes.y', 'op-1'],
    ['PROTO10', 'width beyond ±1e7', create({ width: 1e7 + 1 }), 'object.width', 'op-1'],
    ['PROTO10', 'zIndex as a string', create({ zIndex: '1' }), 'object.zIndex', 'op-1'],
    ['PROTO10', 'rotation null', create({ rotation: null }), 'object.rotation', 'op-1'],
    ['PROTO11', 'an id with a space', create({ id: 'a b' }), 'object.id', 'op-1'],
    ['PROTO11', 'an empty id', create({ id: '' }), 'object.id', 'op-1'],
    ['PROTO11', 'a 65-character id', create({ id: tooLong }), 'object.id', 'op-1'],
    ['PROTO11', 'a parentId with a slash', create({ parentId: '../x' }), 'object.parentId', 'op-1'],
    ['PROTO11', 'a 65-character opId (not echoed)', create({}, { opId: tooLong }), 'opId', undefined],
    ['PROTO11', 'an update of a bad id', update({ x: 1 }, { id: 'r 1' }), 'id', 'op-1'],
    ['PROTO12', 'an unknown object type', create({ type: 'script' }), 'object.type', 'op-1'],
    ['PROTO12', 'a type change', update({ type: 'ellipse' }), 'changes.type', 'op-1'],
    ['PROTO13', 'a url() fill', create({ fill: 'url(http://x/y.png)' }), 'object.fill', 'op-1'],
    [
      'PROTO13',
      'an expression() stroke',
      create({ stroke: 'expression(alert(1))' }),
      'object.stroke',
      'op-1',
    ],
    ['PROTO13', 'a var() fill', create({ fill: 'var(--x)' }), 'object.fill', 'op-1'],
    ['PROTO13', 'a 5-digit hex', create({ fill: '#12345' }), 'object.fill', 'op-1'],
    ['PROTO13', 'a name with a digit', create({ fill: 'red1' }), 'object.fill', 'op-1'],
    ['PROTO13', 'an upper-case name', create({ fill: 'Red' }), 'object.fill', 'op-1'],
    ['PROTO13', 'an injected declaration', create({ fill: 'red;background:url(x)' }), 'object.fill', 'op-1'],
    ['PROTO13', 'a 65-character color', create({ fill: 'a'.repeat(65) }), 'object.fill', 'op-1'],
    ['PROTO13', 'rgb with one channel', update({ fill: 'rgb(1)' }), 'changes.fill', 'op-1'],
    ['PROTO14', 'opacity above 1', create({ opacity: 1.01 }), 'object.opacity', 'op-1'],
    ['PROTO14', 'opacity below 0', update({ opacity: -0.1 }), 'changes.opacity', 'op-1'],
    ['PROTO14', 'a negative strokeWidth', create({ strokeWidth: -1 }), 'object.strokeWidth', 'op-1'],
    ['PROTO14', 'fontSize 0', create({ fontSize: 0 }), 'object.fontSize', 'op-1'],
    ['PROTO14', 'fontSize 1001', create({ fontSize: 1001 }), 'object.fontSize', 'op-1'],
    ['PROTO14', 'text of 10,001 characters', create({ text: 't'.repeat(10_001) }), 'object.text', 'op-1'],
    ['PROTO14', 'a 1 MB text', update({ text: 't'.repeat(1 << 20) }), 'changes.text', 'op-1'],
    ['PROTO14', 'a 201-character name', create({ name: 'n'.repeat(201) }), 'object.name', 'op-1'],
    [
      'PROTO14',
      'a 101-character fontFamily',
      create({ fontFamily: 'f'.repeat(101) }),
      'object.fontFamily',
      'op-1',
    ],
    ['PROTO14', 'align justify', create({ align: 'justify' }), 'object.align', 'op-1'],
    ['PROTO15', 'points of odd count', create({ points: [1, 2, 3] }), 'object.points', 'op-1'],
    ['PROTO15', 'a string in points', create({ points: [1, 2, 'x', 4] }), 'object.points[2]', 'op-1'],
    ['PROTO15', 'a nested array in points', update({ points: [1, [2]] }), 'changes.points[1]', 'op-1'],
    ['PROTO15', 'a point beyond ±1e7', create({ points: [0, -2e7] }), 'object.points[1]', 'op-1'],
    [
      'PROTO15',
      '20,002 points',
      create({ points: Array.from({ length: OBJECT_LIMITS.points + 2 }, () => 1) }),
      'object.points',
      'op-1',
    ],
    ['PROTO15', 'points as an object', create({ points: { 0: 1 } }), 'object.points', 'op-1'],
    ['PROTO16', 'empty changes', update({}), 'changes', 'op-1'],
    ['PROTO16', 'changes as an array', update([1]), 'changes', 'op-1'],
    ['PROTO16', 'changes.id', update({ id: 'other' }), 'changes.id', 'op-1'],
    ['PROTO16', 'changes.createdBy', update({ createdBy: 'u2' }), 'changes.createdBy', 'op-1'],
    [
      'PROTO16',
      'changes.updatedAt',
      update({ updatedAt: '2020-01-01T00:00:00Z' }),
      'changes.updatedAt',
      'op-1',
    ],
    ['PROTO16', 'changes.version', update({ version: 99 }), 'changes.version', 'op-1'],
    ['PROTO16', 'changes.canvasId', update({ canvasId: 'c2' }), 'changes.canvasId', 'op-1'],
    ['PROTO16', 'changes.seq', update({ seq: 1 }), 'changes.seq', 'op-1'],
    ['PROTO16', 'a create carrying createdBy', create({ createdBy: 'u2' }), 'object.createdBy', 'op-1'],
    ['PROTO16', 'a create carrying version', create({ version: 7 }), 'object.version', 'op-1'],
  ]
  it.each(rejected)(
    '[%s] when %s arrives, then invalid_input names the field',
    (_rule, _case, text, field, opId) => {
      expectRejected(text, field, opId)
    },
  )

  it('[PROTO4] when changes carry __proto__, then the frame is rejected naming changes.__proto__', () => {
    const text = '{"type":"object-update","opId":"a","id":"x","changes":{"__proto__":{}}}'
    const result = expectRejected(text, 'changes.__proto__', 'a')
    expect(result?.message).toContain('__proto__')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  const poisoned: [string, string, string | undefined][] = [
    ['{"__proto__":{"polluted":1},"type":"ping","t":1}', '__proto__', undefined],
    ['{"type":"ping","t":1,"constructor":{"prototype":{"polluted":1}}}', 'constructor', undefined],
    [create({ points: [0, 0] }).replace('"points"', '"prototype":1,"points"'), 'object.prototype', 'op-1'],
    ['{"type":"auth","token":"t","x":[{"a":[{},{"__proto__":null}]}]}', 'x[0].a[1].__proto__', undefined],
  ]
  it.each(poisoned)('[PROTO4] when %s arrives, then it is rejected naming %s', (text, field, opId) => {
    expectRejected(text, field, opId)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('[PROTO4] when __proto__ sits under 10,000 levels of nesting, then it is found without overflowing the stack', () => {
    const depth = 10_000
    const deep = `${'{"a":'.repeat(depth)}{"__proto__":1}${'}'.repeat(depth)}`
    const text = `{"type":"object-update","opId":"deep","id":"x","changes":{"text":${deep}}}`
    const result = expectRejected(
      text,
      expect.stringMatching(/^changes\.text\.a\.a.*…\.__proto__$/) as never,
      'deep',
    )
    expect(result?.field?.length).toBeLessThan(200)
  })

  it('[PROTO2] when a value is 10,000 arrays deep, then the answer is an ordinary rejection', () => {
    const depth = 10_000
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`
    expectRejected(
      `{"type":"object-update","opId":"a","id":"x","changes":{"points":${deepArray}}}`,
      'changes.points',
      'a',
    )
    expectRejected(`{"type":"ping","t":${deepArray}}`, 't', undefined)
    expectRejected(deepArray, undefined, undefined)
    expectRejected(`{"type":"cursor","x":0,"y":0,"z":${deepArray}}`, 'z', undefined)
  })

  it('[PROTO3] when an opId is present but the frame is bad, then the opId is echoed with the error', () => {
    const result = expectRejected(
      update({ x: 'left' }, { opId: 'client-op-77' }),
      'changes.x',
      'client-op-77',
    )
    expect(result?.message).toMatch(/changes\.x/)
  })

  it('[PROTO6] when a frame carries thousands of unknown keys, then the first is named and the message stays short', () => {
    const changes = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]))
    const result = expectRejected(update(changes), 'changes.k0', 'op-1')
    expect(result?.message.length).toBeLessThan(200)
  })

  it('[PROTO3] when an unknown key is huge, then the error names a shortened key', () => {
    const key = 'k'.repeat(100_000)
    const result = parseClientMessage(JSON.stringify({ type: 'ping', t: 1, [key]: 1 }))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.field?.startsWith('kkk')).toBe(true)
      expect(result.field?.length).toBeLessThan(200)
      expect(result.message.length).toBeLessThan(400)
    }
  })

  it('[PROTO2] when the argument is not a string (untyped caller), then the answer is invalid JSON, not a throw', () => {
    expectRejected(undefined as unknown as string, undefined, undefined)
    expectRejected({ toString: () => '{' } as unknown as string, undefined, undefined)
  })
})

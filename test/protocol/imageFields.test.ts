import { describe, expect, it } from 'vitest'
import { imageUrl } from '../../src/protocol/images.js'
import { parseClientMessage } from '../../src/protocol/messages.js'

// [PROTO18] An image object names its picture by hash only: no client can make others' browsers
// fetch another site, another canvas or a path of its choosing.

const HASH = 'a'.repeat(64)
const create = (object: Record<string, unknown>) =>
  JSON.stringify({ type: 'object-create', opId: 'op-1', object: { id: 'i1', type: 'image', ...object } })
const update = (changes: Record<string, unknown>) =>
  JSON.stringify({ type: 'object-update', opId: 'op-1', id: 'i1', changes })

function fieldOf(text: string): string | undefined {
  const result = parseClientMessage(text)
  expect(result.ok, text.slice(0, 200)).toBe(false)
  return result.ok ? undefined : result.field
}

describe('[PROTO18] image references', () => {
  it('[PROTO18] when an image object names a stored image by its hash, then it is accepted as sent', () => {
    const object = { x: 10, y: 20, width: 300, height: 200, imageId: HASH }
    expect(parseClientMessage(create(object))).toMatchObject({ ok: true, message: { object } })
    expect(parseClientMessage(update({ imageId: 'f'.repeat(64) })).ok).toBe(true)
  })

  it.each([
    ['an absolute URL', 'https://evil.example/track.png'],
    ['a protocol-relative URL', '//evil.example/a.png'],
    ['a data URL', 'data:image/svg+xml,<svg onload=alert(1)>'],
    ['a javascript URL', 'javascript:alert(1)'],
    ["another canvas's image URL", imageUrl('other-canvas', HASH)],
    ['a path', '../../api/session'],
    ['an upper-case hash', 'A'.repeat(64)],
    ['a short hash', 'a'.repeat(63)],
    ['a hash with a suffix', `${HASH}?x=1`],
  ])('[PROTO18] when imageId is %s, then it is refused naming the field', (_name, value) => {
    expect(fieldOf(create({ imageId: value }))).toBe('object.imageId')
    expect(fieldOf(update({ imageId: value }))).toBe('changes.imageId')
  })

  it('[PROTO18] when an image object carries a src or url property, then it is refused as unknown', () => {
    expect(fieldOf(create({ src: 'https://evil.example/a.png' }))).toBe('object.src')
    expect(fieldOf(create({ url: imageUrl('c1', HASH) }))).toBe('object.url')
  })
})

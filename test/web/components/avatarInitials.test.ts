import { describe, expect, it } from 'vitest'
import { initialsOf } from '../../../src/web/components/initials.js'

// [ED-D1] Avatars show whole characters: an emoji name never shows half a surrogate pair ("A\uFFFD").
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('[ED-D1] avatar initials', () => {
  it('[ED-D1] when a name starts with an emoji then the initials hold the whole emoji', () => {
    expect(initialsOf('😀 Alice')).toBe('😀A')
    expect(initialsOf('A😀')).toBe('A😀')
    expect(initialsOf('👩‍👩‍👧 Family')).toBe('👩‍👩‍👧F')
    expect(initialsOf('🇫🇷')).toBe('🇫🇷')
  })

  it('[ED-D1] when a name is plain letters then the initials are one per word or two of one word', () => {
    expect(initialsOf('Ada Lovelace')).toBe('AL')
    expect(initialsOf('bob')).toBe('BO')
    expect(initialsOf('   ')).toBe('?')
  })

  it('[ED-D1] when the initials are encoded then no lone surrogate remains', () => {
    for (const name of ['A😀', '😀😀😀', 'x 🎉', '𝒜𝒷𝒸'])
      expect(initialsOf(name), name).not.toMatch(LONE_SURROGATE)
  })
})

import { describe, expect, it } from 'vitest'
import { resolveTheme } from '../../../src/web/theme/theme.js'

describe('theme', () => {
  it.each([
    [null, false, 'light'],
    [null, true, 'dark'],
    [undefined, true, 'dark'],
    ['dark', false, 'dark'],
    ['light', true, 'light'],
    // Something else in storage (an old value, a hand edit): the system decides.
    ['blue', true, 'dark'],
    ['', false, 'light'],
  ] as const)(
    'when the stored choice is %j and the system prefers dark is %s, then the theme is %s',
    (stored, dark, theme) => {
      expect(resolveTheme(stored, dark)).toBe(theme)
    },
  )
})

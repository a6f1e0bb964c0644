import { describe, expect, it } from 'vitest'
import { SIZES, type BuildOptions } from '../../src/ai/components/buildOptions.js'
import { COMPONENT_KINDS, COMPONENTS } from '../../src/ai/components/catalog.js'
import {
  GLYPH_WIDTH,
  GRID,
  MIN_FONT_SIZE,
  type Component,
  type Draft,
} from '../../src/ai/components/draft.js'
import { materialize } from '../../src/ai/components/materialize.js'
import { shapeGrid } from '../../src/ai/components/shapeGrid.js'
import { THEMES } from '../../src/ai/themes/themes.js'
import { parseClientMessage } from '../../src/protocol/parseClientMessage.js'

// [AI1] Every builder, in every theme and size, with default and long labels and the largest
// counts: valid objects, inside their frame, on the grid, no partial overlaps, text that fits.

const LONG = 'A label far too long to fit in any reasonable control at all, surely'

interface Box {
  x: number
  y: number
  width: number
  height: number
}
const inside = (a: Box, b: Box) =>
  a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height
const disjoint = (a: Box, b: Box) =>
  a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y

function variants(): { name: string; options: BuildOptions }[] {
  const out: { name: string; options: BuildOptions }[] = []
  for (const theme of Object.values(THEMES)) {
    for (const size of SIZES)
      out.push({ name: `${theme.name}/${size}`, options: { theme, labels: [], size } })
  }
  const light = THEMES.light as BuildOptions['theme']
  out.push({
    name: 'long labels',
    options: { theme: light, labels: Array.from({ length: 12 }, () => LONG), size: 'medium' },
  })
  out.push({
    name: 'max counts',
    options: { theme: light, labels: [], size: 'medium', count: 12, columns: 8 },
  })
  out.push({ name: 'min counts', options: { theme: light, labels: [], size: 'small', count: 1, columns: 1 } })
  return out
}

/** The invariants of a tidy component: see the file comment. */
function expectTidy(c: Component): void {
  const frame = { x: 0, y: 0, width: c.width, height: c.height }
  expect(c.width % GRID).toBe(0)
  expect(c.height % GRID).toBe(0)
  expect(c.parts.length).toBeGreaterThan(0)
  for (const p of c.parts) {
    expect(inside(p, frame), `${p.name} inside the frame`).toBe(true)
    if (p.type === 'text') {
      expect(p.fontSize ?? 0).toBeGreaterThanOrEqual(MIN_FONT_SIZE)
      // One line of it, set with a generous glyph width, fits the box.
      expect(
        (p.text ?? '').length * (p.fontSize ?? 0) * GLYPH_WIDTH,
        `${p.name} text fits`,
      ).toBeLessThanOrEqual(p.width + 0.5)
      expect(p.height).toBeGreaterThanOrEqual(Math.ceil((p.fontSize ?? 0) * 1.25))
    }
  }
  const boxes = c.parts.filter((p) => p.type === 'rect' || p.type === 'ellipse')
  const texts = c.parts.filter((p) => p.type === 'text')
  // Shapes nest or stand apart; they never half-overlap.
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      expect(disjoint(a, b) || inside(a, b) || inside(b, a), `${a.name} / ${b.name}`).toBe(true)
    }
  }
  // Text never overlaps other text, and sits wholly inside or wholly outside each shape,
  // except a shape's own label, which may overflow a small mark beside it (checkbox, toggle).
  for (const [i, a] of texts.entries()) {
    for (const b of texts.slice(i + 1)) expect(disjoint(a, b), `${a.name} / ${b.name}`).toBe(true)
    for (const s of boxes) expect(disjoint(a, s) || inside(a, s), `${a.name} over ${s.name}`).toBe(true)
  }
}

/** Every object a component becomes passes the WebSocket parser as an object-create [PROTO1]. */
function expectValidObjects(c: Component): void {
  let n = 0
  const objects = materialize(c, 1000, -2000, 5, () => `o${n++}`)
  expect(objects[0]).toMatchObject({ type: 'frame', x: 1000, y: -2000, width: c.width, height: c.height })
  for (const [i, object] of objects.entries()) {
    const parsed = parseClientMessage(JSON.stringify({ type: 'object-create', opId: `op${i}`, object }))
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true)
    if (i > 0) expect(object.parentId).toBe('o0')
  }
}

describe('[AI1] component builders', () => {
  for (const kind of COMPONENT_KINDS) {
    it(`[AI1] when ${kind} is built in every theme, size, label and count variant, then its objects are valid, inside the frame, on the grid, without overlaps, and its text fits`, () => {
      for (const { name, options } of variants()) {
        const c = COMPONENTS[kind].build(options)
        expect(c.kind, name).toBe(kind)
        expectTidy(c)
        expectValidObjects(c)
      }
    })
  }

  it('[AI1] when a login form is built, then it has at least 5 parts: title, two fields, a button and its label', () => {
    const c = COMPONENTS['login-form'].build({
      theme: THEMES.light as BuildOptions['theme'],
      labels: [],
      size: 'medium',
    })
    const names = c.parts.map((p: Draft) => p.name)
    expect(c.parts.length).toBeGreaterThanOrEqual(5)
    expect(names).toEqual(
      expect.arrayContaining(['Title', 'Email input', 'Password input', 'Sign in button']),
    )
  })

  it('[AI1] when a theme rounds its corners, then buttons, fields and badges carry it as cornerRadius (at most a pill), and a square theme keeps them square', () => {
    const build = (theme: string, kind: 'login-form' | 'badge') =>
      COMPONENTS[kind].build({ theme: THEMES[theme] as BuildOptions['theme'], labels: [], size: 'medium' })
    const part = (c: Component, name: string) => c.parts.find((p: Draft) => p.name === name)
    expect(part(build('light', 'login-form'), 'Sign in button')?.cornerRadius).toBe(8)
    expect(part(build('light', 'login-form'), 'Email input')?.cornerRadius).toBe(8)
    expect(part(build('mono', 'login-form'), 'Sign in button')?.cornerRadius).toBe(0)
    const pill = { ...(THEMES.light as BuildOptions['theme']), radius: 999 }
    const badge = COMPONENTS.badge.build({ theme: pill, labels: [], size: 'medium' })
    expect(part(badge, 'Badge')?.cornerRadius).toBe(12)
  })

  it('[AI1] when counts are given, then the repeated parts follow them (pricing tiers, table rows and columns, tabs)', () => {
    const theme = THEMES.light as BuildOptions['theme']
    const tiers = COMPONENTS['pricing-table'].build({ theme, labels: [], size: 'medium', count: 4 })
    expect(tiers.parts.filter((p) => /^Tier \d+$/.test(p.name))).toHaveLength(4)
    const table = COMPONENTS['data-table'].build({ theme, labels: [], size: 'medium', count: 5, columns: 3 })
    expect(table.parts.filter((p) => p.name.startsWith('Cell '))).toHaveLength(15)
    const tabs = COMPONENTS.tabs.build({ theme, labels: ['One', 'Two'], size: 'medium' })
    expect(tabs.parts.filter((p) => /^Tab \d+$/.test(p.name)).map((p) => p.text)).toEqual(['One', 'Two'])
  })

  it('[AI1] when a theme is chosen, then the parts use its colours (dark: a dark frame, light text)', () => {
    const dark = THEMES.dark as BuildOptions['theme']
    const c = COMPONENTS['login-form'].build({ theme: dark, labels: [], size: 'medium' })
    expect(c.fill).toBe(dark.background)
    expect(c.parts.find((p) => p.name === 'Title')?.fill).toBe(dark.text)
    expect(c.parts.find((p) => p.name === 'Sign in button')?.fill).toBe(dark.primary)
  })

  it('[AI1] when shapes are asked for in rows and columns, then the grid is tidy and valid', () => {
    const theme = THEMES.light as BuildOptions['theme']
    for (const shape of ['rect', 'ellipse', 'text', 'line'] as const) {
      for (const size of SIZES) {
        const c = shapeGrid(
          { kind: 'shapes', shape, rows: 3, columns: 4, square: shape === 'ellipse', size, text: 'Hello' },
          theme,
        )
        expect(c.parts).toHaveLength(12)
        expectTidy(c)
        expectValidObjects(c)
      }
    }
  })
})

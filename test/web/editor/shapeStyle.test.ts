import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { pdfPageSize, PDF_MAX_SIDE_PT } from '../../../src/web/editor/pdfPage.js'
import { scopedObjects } from '../../../src/web/editor/exportScope.js'
import { dashStyleOf, FONT_FAMILIES, shapeStyleChanges } from '../../../src/web/editor/shapeStyle.js'
import { matchesSearch } from '../../../src/web/pages/canvasSearch.js'

const at = '2026-01-01T00:00:00.000Z'
function obj(id: string, extra: Partial<CanvasObject>): CanvasObject {
  return { id, type: 'rect', createdBy: 'u', updatedAt: at, version: 1, ...extra }
}
const measure = (o: CanvasObject, text: string) => ({ width: text.length * 10, height: o.fontSize ?? 24 })

describe('[ED-S1] style panel connector and text controls', () => {
  const selection = [
    obj('r', { type: 'rect' }),
    obj('a', { type: 'arrow', points: [0, 0, 10, 10] }),
    obj('t', { type: 'text', text: 'hello', fontSize: 20 }),
  ]

  it('[ED-S1] when a stroke style is picked then every stroked object gets its pattern, text does not', () => {
    expect(shapeStyleChanges(selection, { dash: 'dotted' }, measure)).toEqual([
      ['r', { dash: [1, 2] }],
      ['a', { dash: [1, 2] }],
    ])
    expect(shapeStyleChanges(selection, { dash: 'solid' }, measure)).toEqual([
      ['r', { dash: [] }],
      ['a', { dash: [] }],
    ])
    expect(dashStyleOf(obj('x', { dash: [4, 3] }))).toBe('dashed')
    expect(dashStyleOf(obj('x', { dash: [1, 2] }))).toBe('dotted')
    expect(dashStyleOf(obj('x', {}))).toBe('solid')
    expect(dashStyleOf(obj('x', { dash: [7] }))).toBe('dashed')
  })

  it('[ED-S1] when corners, arrowheads or alignment change then only the types that have them change', () => {
    expect(shapeStyleChanges(selection, { cornerRadius: 12.4 }, measure)).toEqual([
      ['r', { cornerRadius: 12 }],
    ])
    expect(shapeStyleChanges(selection, { cornerRadius: -3 }, measure)).toEqual([['r', { cornerRadius: 0 }]])
    expect(shapeStyleChanges(selection, { arrowStart: true }, measure)).toEqual([['a', { arrowStart: true }]])
    expect(shapeStyleChanges(selection, { arrowEnd: false }, measure)).toEqual([['a', { arrowEnd: false }]])
    expect(shapeStyleChanges(selection, { align: 'center' }, measure)).toEqual([['t', { align: 'center' }]])
  })

  it('[ED-S2] when a text gets another font family then its box is measured again in it', () => {
    const family = FONT_FAMILIES[2].value
    expect(shapeStyleChanges(selection, { fontFamily: family }, measure)).toEqual([
      ['t', { fontFamily: family, width: 50, height: 20 }],
    ])
  })
})

describe('[ED-E2] export scope and PDF page', () => {
  const frame = obj('f', { type: 'frame', x: 100, y: 50, width: 400, height: 300 })
  const inner = obj('g', { type: 'group', parentId: 'f' })
  const child = obj('c', { x: 120, y: 60, width: 10, height: 10, parentId: 'g' })
  const outside = obj('o', { x: 900, y: 900, width: 10, height: 10 })
  const sorted = [frame, inner, child, outside]

  it('[ED-E2] when a frame is exported then it and everything inside it at any depth go, in the frame box', () => {
    expect(scopedObjects(sorted, [], { kind: 'frame', id: 'f' })).toEqual({
      objects: [frame, inner, child],
      area: { x: 100, y: 50, width: 400, height: 300 },
    })
  })

  it('[ED-E1] when the selection is empty then the whole canvas is exported; an unknown frame too', () => {
    expect(scopedObjects(sorted, [], { kind: 'selection' }).objects).toEqual(sorted)
    expect(scopedObjects(sorted, [child], { kind: 'selection' }).objects).toEqual([child])
    expect(scopedObjects(sorted, [], { kind: 'frame', id: 'nope' }).objects).toEqual(sorted)
  })

  it('[ED-E2] when the area is larger than a PDF page may be then it is scaled down in proportion', () => {
    expect(pdfPageSize(400, 300)).toEqual({ width: 400, height: 300 })
    expect(pdfPageSize(2 * PDF_MAX_SIDE_PT, PDF_MAX_SIDE_PT)).toEqual({
      width: PDF_MAX_SIDE_PT,
      height: PDF_MAX_SIDE_PT / 2,
    })
  })
})

describe('[LIST4] canvas search', () => {
  it('[LIST4] when words are typed then a name matches if it holds each, in any order, ignoring case and accents', () => {
    expect(matchesSearch('Q4 Roadmap — Café', 'café q4')).toBe(true)
    expect(matchesSearch('Q4 Roadmap — Café', 'cafe ROAD')).toBe(true)
    expect(matchesSearch('Q4 Roadmap', 'q3')).toBe(false)
    expect(matchesSearch('Anything', '   ')).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { THUMBNAIL_MAX_POINTS, thumbnailSvg } from '../../src/core/canvasThumbnail.js'
import type { CanvasObject } from '../../src/protocol/objects.js'

const o = (id: string, extra: Partial<CanvasObject>): CanvasObject => ({
  id,
  type: 'rect',
  createdBy: 'u',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  ...extra,
})

describe('[LIST1] thumbnailSvg', () => {
  it('[LIST1] when a canvas has shapes, then the view box holds them all with a margin, drawn in z order', () => {
    const svg = thumbnailSvg([
      o('top', { x: 100, y: 100, width: 100, height: 100, zIndex: 2, fill: '#00ff00' }),
      o('bottom', { x: 0, y: 0, width: 100, height: 50, zIndex: 1, fill: '#ff0000' }),
    ])
    expect(svg).toContain('viewBox="-20 -20 240 240"')
    expect(svg.indexOf('#ff0000')).toBeLessThan(svg.indexOf('#00ff00'))
  })

  it('[LIST1] when strings hold markup, then they are escaped: text, colours and fonts alike', () => {
    const svg = thumbnailSvg([
      o('t', { type: 'text', x: 0, y: 0, width: 10, height: 10, text: '</text><script>x</script>' }),
      o('r', { x: 0, y: 0, width: 10, height: 10, fill: '"/><script>y</script>' }),
    ])
    expect(svg).not.toContain('<script')
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;x&lt;/script&gt;')
    expect(svg).toContain('fill="&quot;/&gt;&lt;script&gt;y&lt;/script&gt;"')
  })

  it('[LIST1] when a path has thousands of points, then at most the cap (and its last point) are drawn', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => i)
    const svg = thumbnailSvg([o('p', { type: 'path', x: 0, y: 0, points, stroke: '#000000' })])
    const drawn = /points="([^"]*)"/.exec(svg)?.[1]?.split(' ') ?? []
    expect(drawn.length).toBeLessThanOrEqual(THUMBNAIL_MAX_POINTS + 1)
    expect(drawn.at(-1)).toBe('9998,9999')
  })

  it('[LIST1] when only groups or nothing is there, then the picture is empty', () => {
    expect(thumbnailSvg([o('g', { type: 'group' })])).not.toMatch(/<(rect|ellipse|polyline|text)/)
    expect(thumbnailSvg([])).toMatch(/^<svg [^>]*><\/svg>$/)
  })
})

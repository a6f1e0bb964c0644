import { describe, expect, it } from 'vitest'
import { visibleRect, viewShowing } from '../../../src/web/canvas/viewRect.js'
import { fromMinimap, minimapFrame, toMinimap } from '../../../src/web/canvas/minimapFrame.js'

describe('view rectangles (following a view)', () => {
  it('when a view is turned into its world rectangle and shown on a screen of the same size, then the same view comes back', () => {
    const size = { width: 1280, height: 800 }
    for (const v of [
      { x: 0, y: 0, scale: 1 },
      { x: -340, y: 125, scale: 2.5 },
      { x: 900, y: -40, scale: 0.1 },
    ]) {
      const back = viewShowing(visibleRect(v, size), size)
      expect(back.scale).toBeCloseTo(v.scale, 9)
      expect(back.x).toBeCloseTo(v.x, 6)
      expect(back.y).toBeCloseTo(v.y, 6)
    }
  })

  it('when the follower has a smaller screen of another shape, then all of the leader’s rectangle is shown, centred', () => {
    const rect = { x: 100, y: 50, width: 1600, height: 1000 }
    const size = { width: 390, height: 700 }
    const v = viewShowing(rect, size)
    const shown = visibleRect(v, size)
    expect(shown.x).toBeLessThanOrEqual(rect.x + 1e-9)
    expect(shown.y).toBeLessThanOrEqual(rect.y + 1e-9)
    expect(shown.x + shown.width).toBeGreaterThanOrEqual(rect.x + rect.width - 1e-9)
    expect(shown.y + shown.height).toBeGreaterThanOrEqual(rect.y + rect.height - 1e-9)
    expect(shown.x + shown.width / 2).toBeCloseTo(rect.x + rect.width / 2, 9)
    expect(shown.y + shown.height / 2).toBeCloseTo(rect.y + rect.height / 2, 9)
  })

  it('when the leader’s rectangle is absurdly large or small, then the follower’s zoom stays within the editor’s limits', () => {
    const size = { width: 1000, height: 800 }
    expect(viewShowing({ x: 0, y: 0, width: 2e7, height: 2e7 }, size).scale).toBe(0.05)
    expect(viewShowing({ x: 0, y: 0, width: 1, height: 1 }, size).scale).toBe(8)
  })
})

describe('minimap frame', () => {
  it('when objects and the view are mapped, then both fit inside the minimap and a point maps back to itself', () => {
    const size = { width: 176, height: 112 }
    const content = { x: -500, y: 200, width: 3000, height: 1200 }
    const view = { x: 2000, y: -300, width: 1280, height: 800 }
    const f = minimapFrame(content, view, size)
    for (const p of [
      { x: content.x, y: content.y },
      { x: content.x + content.width, y: content.y + content.height },
      { x: view.x, y: view.y },
      { x: view.x + view.width, y: view.y + view.height },
    ]) {
      const at = toMinimap(f, p)
      expect(at.x).toBeGreaterThanOrEqual(0)
      expect(at.y).toBeGreaterThanOrEqual(0)
      expect(at.x).toBeLessThanOrEqual(size.width)
      expect(at.y).toBeLessThanOrEqual(size.height)
      const back = fromMinimap(f, at)
      expect(back.x).toBeCloseTo(p.x, 6)
      expect(back.y).toBeCloseTo(p.y, 6)
    }
  })

  it('when the canvas is empty, then the map shows the view alone, centred', () => {
    const size = { width: 176, height: 112 }
    const view = { x: 0, y: 0, width: 1280, height: 800 }
    const f = minimapFrame(undefined, view, size)
    const centre = toMinimap(f, { x: 640, y: 400 })
    expect(centre.x).toBeCloseTo(88, 6)
    expect(centre.y).toBeCloseTo(56, 6)
  })
})

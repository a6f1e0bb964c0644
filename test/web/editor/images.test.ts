import { describe, expect, it } from 'vitest'
import type { CanvasObject } from '../../../src/protocol/objects.js'
import { exportSvg } from '../../../src/web/canvas/exportSvg.js'
import { imageObjectAt } from '../../../src/web/editor/images/placeImage.js'

// [ED-I1] Placing a stored image, and exporting it (docs/editor.md "Images").

const HASH = 'b'.repeat(64)

describe('[ED-I1] where a new image goes', () => {
  it('[ED-I1] when the image fits the view, then it is placed at its natural size, centred on the point', () => {
    const o = imageObjectAt(
      { id: HASH, width: 300, height: 200 },
      { x: 1000, y: 500 },
      { width: 1200, height: 800 },
      7,
    )
    expect(o).toMatchObject({
      type: 'image',
      imageId: HASH,
      x: 850,
      y: 400,
      width: 300,
      height: 200,
      zIndex: 7,
    })
  })

  it('[ED-I1] when the image is larger than the view, then it shrinks to 80 % of it, keeping its proportions', () => {
    const o = imageObjectAt(
      { id: HASH, width: 4000, height: 1000 },
      { x: 0, y: 0 },
      { width: 1000, height: 1000 },
      1,
    )
    expect(o).toMatchObject({ width: 800, height: 200, x: -400, y: -100 })
  })
})

describe('[ED-I1] images in an SVG export', () => {
  const image = (imageId?: string): CanvasObject => ({
    id: 'i1',
    type: 'image',
    x: 10,
    y: 20,
    width: 30,
    height: 40,
    ...(imageId ? { imageId } : {}),
    createdBy: 'u',
    updatedAt: '',
    version: 1,
  })

  it('[ED-I1] when the picture was fetched, then the export embeds it as a data: URL at the object box', () => {
    const href = 'data:image/png;base64,iVBORw0KGgo='
    const svg = exportSvg([image(HASH)], {
      background: undefined,
      padding: 0,
      images: new Map([[HASH, href]]),
    })?.svg
    expect(svg).toContain(`<image width="30" height="40" preserveAspectRatio="none" href="${href}"/>`)
    expect(svg).toContain('translate(10 20)')
  })

  it('[ED-I1] when the picture is missing or not a data: image, then only its box is drawn', () => {
    for (const images of [new Map<string, string>(), new Map([[HASH, 'https://evil.example/x.png']])]) {
      const svg = exportSvg([image(HASH)], { background: undefined, padding: 0, images })?.svg ?? ''
      expect(svg).not.toContain('<image')
      expect(svg).toContain('stroke-dasharray="6 4"')
    }
  })
})

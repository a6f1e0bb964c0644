import Konva from 'konva'
import type { CanvasObject } from '../../protocol/objects.js'
import { DEFAULT_FONT_FAMILY, round, TEXT_LINE_HEIGHT } from './geometry.js'

let probe: Konva.Text | undefined

/** The height Konva will draw `text` at in this object's width and font: stored so bounds are right. */
export function measureTextHeight(o: CanvasObject, text: string): number {
  probe ??= new Konva.Text({ lineHeight: TEXT_LINE_HEIGHT, wrap: 'word' })
  probe.setAttrs({
    text: text === '' ? ' ' : text,
    width: o.width ?? 200,
    fontSize: o.fontSize ?? 24,
    fontFamily: o.fontFamily ?? DEFAULT_FONT_FAMILY,
  })
  return round(probe.height())
}

/** Widest line of `text` unwrapped: text grows to fit what is typed, up to MAX_TEXT_WIDTH. */
export function measureTextWidth(o: CanvasObject, text: string): number {
  probe ??= new Konva.Text({ lineHeight: TEXT_LINE_HEIGHT, wrap: 'word' })
  probe.setAttrs({
    text: text === '' ? ' ' : text,
    width: undefined,
    fontSize: o.fontSize ?? 24,
    fontFamily: o.fontFamily ?? DEFAULT_FONT_FAMILY,
  })
  return round(probe.width())
}

export const MAX_TEXT_WIDTH = 1_200

/** Width and height for new text: as wide as its longest line (within bounds), never narrower than before. */
export function fitText(o: CanvasObject, text: string): { width: number; height: number } {
  const width = round(Math.max(o.width ?? 0, Math.min(MAX_TEXT_WIDTH, measureTextWidth(o, text) + 2)))
  return { width, height: measureTextHeight({ ...o, width }, text) }
}

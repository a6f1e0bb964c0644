import type { NewObject } from '../../protocol/objects.js'

/** Objects that hold text: text boxes, and rectangles and ellipses with a label inside. */
const TEXT_HOLDERS: ReadonlySet<NewObject['type']> = new Set(['text', 'rect', 'ellipse'])

export function hasText(o: Pick<NewObject, 'type'>): boolean {
  return TEXT_HOLDERS.has(o.type)
}

/** Inside a shape, text keeps this far (world units) from its edges. */
export const SHAPE_TEXT_PADDING = 8
/** A shape's label font size when it has none of its own. */
export const SHAPE_FONT_SIZE = 20
export const SHAPE_TEXT_COLOR = '#1c2024'

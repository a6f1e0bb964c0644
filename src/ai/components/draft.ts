import type { Theme } from '../themes/themes.js'

/**
 * A component as builders make it: parts laid out relative to the component's top-left corner,
 * without ids. materialize() turns it into canvas objects at a place, under a frame.
 */
export interface Draft {
  type: 'rect' | 'ellipse' | 'line' | 'text'
  /** What the part is ("Email label", "Sign in button"): the object's name in the editor. */
  name: string
  x: number
  y: number
  width: number
  height: number
  fill?: string
  stroke?: string
  strokeWidth?: number
  text?: string
  fontSize?: number
  align?: 'left' | 'center' | 'right'
  /** Rects only: the theme's corner rounding, never more than half the shorter side. */
  cornerRadius?: number
  /** Lines only: relative to (x, y). */
  points?: number[]
}

export interface Component {
  /** The builder that made it ("login-form"). */
  kind: string
  /** The frame's name. */
  name: string
  width: number
  height: number
  /** The frame's own fill and stroke. */
  fill: string
  stroke: string
  parts: Draft[]
}

/** Every position and size lands on this grid. */
export const GRID = 8
/** Konva's line height for text (web/canvas/geometry.ts TEXT_LINE_HEIGHT). */
export const LINE_HEIGHT = 1.25
/**
 * A generous average glyph width for the default sans-serif, as a share of the font size:
 * measured text of mixed case stays under it, so text laid out with it fits its box.
 */
export const GLYPH_WIDTH = 0.6
/** The smallest text any builder draws: readable at 100 % zoom. */
export const MIN_FONT_SIZE = 12

export const snap = (n: number): number => Math.round(n / GRID) * GRID
export const snapUp = (n: number): number => Math.ceil(n / GRID) * GRID

/** How wide `text` sets at `fontSize` on one line (an upper bound, see GLYPH_WIDTH). */
export function textWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * GLYPH_WIDTH)
}

/** The height of one line of text. */
export const lineHeight = (fontSize: number): number => Math.ceil(fontSize * LINE_HEIGHT)

/** `text` cut to fit `width` at `fontSize`, with an ellipsis when it had to be cut. */
export function fitLabel(text: string, fontSize: number, width: number): string {
  const max = Math.max(1, Math.floor(width / (fontSize * GLYPH_WIDTH)))
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`
}

export function rect(
  name: string,
  x: number,
  y: number,
  width: number,
  height: number,
  style: Partial<Draft> = {},
): Draft {
  return { type: 'rect', name, x, y, width, height, ...style }
}

export function ellipse(name: string, x: number, y: number, size: number, style: Partial<Draft> = {}): Draft {
  return { type: 'ellipse', name, x, y, width: size, height: size, ...style }
}

/** A horizontal rule from (x, y), `width` long. */
export function hline(name: string, x: number, y: number, width: number, color: string): Draft {
  return {
    type: 'line',
    name,
    x,
    y,
    width,
    height: 0,
    points: [0, 0, width, 0],
    stroke: color,
    strokeWidth: 1,
  }
}

/**
 * One line of text in a box `width` wide, vertically centred in `boxHeight` when given: Konva
 * draws text from its top, so the box starts half the spare height down. Too long a label is cut.
 */
export function label(
  name: string,
  text: string,
  x: number,
  y: number,
  width: number,
  options: { fontSize: number; color: string; align?: Draft['align']; boxHeight?: number },
): Draft {
  const height = lineHeight(options.fontSize)
  const top = options.boxHeight === undefined ? y : y + Math.floor((options.boxHeight - height) / 2)
  return {
    type: 'text',
    name,
    x,
    y: top,
    width,
    height,
    text: fitLabel(text, options.fontSize, width),
    fontSize: options.fontSize,
    fill: options.color,
    align: options.align ?? 'left',
  }
}

/** The theme's corner rounding for a rect `height` tall: at most a pill, never more. */
export function rounded(theme: Theme, height: number): number {
  return Math.min(theme.radius, Math.floor(height / 2))
}

/** A filled button: a rect and its centred label. */
export function buttonParts(
  name: string,
  text: string,
  x: number,
  y: number,
  width: number,
  height: number,
  theme: Theme,
  primary = true,
): Draft[] {
  return [
    rect(`${name} button`, x, y, width, height, {
      ...(primary ? { fill: theme.primary } : { fill: theme.surface, stroke: theme.border, strokeWidth: 1 }),
      cornerRadius: rounded(theme, height),
    }),
    label(`${name} label`, text, x, y, width, {
      fontSize: theme.fontSizes.body,
      color: primary ? theme.onPrimary : theme.text,
      align: 'center',
      boxHeight: height,
    }),
  ]
}

/** A labelled text field: caption above, box with placeholder below. */
export function fieldParts(
  name: string,
  caption: string,
  placeholder: string,
  x: number,
  y: number,
  width: number,
  theme: Theme,
): Draft[] {
  const captionHeight = lineHeight(theme.fontSizes.small)
  const boxY = y + snapUp(captionHeight + 4)
  return [
    label(`${name} label`, caption, x, y, width, { fontSize: theme.fontSizes.small, color: theme.text }),
    rect(`${name} input`, x, boxY, width, 40, {
      fill: theme.background,
      stroke: theme.border,
      strokeWidth: 1,
      cornerRadius: rounded(theme, 40),
    }),
    label(`${name} placeholder`, placeholder, x + 12, boxY, width - 24, {
      fontSize: theme.fontSizes.body,
      color: theme.muted,
      boxHeight: 40,
    }),
  ]
}

/** The height fieldParts takes. */
export const fieldHeight = (theme: Theme): number => snapUp(lineHeight(theme.fontSizes.small) + 4) + 40

/** The frame around parts laid out from (0, 0): `padding` is already part of their positions. */
export function frame(
  kind: string,
  name: string,
  width: number,
  height: number,
  parts: Draft[],
  theme: Theme,
  fill = theme.background,
): Component {
  return { kind, name, width: snapUp(width), height: snapUp(height), fill, stroke: theme.border, parts }
}

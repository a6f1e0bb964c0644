import type { CanvasObject, ObjectChanges, ObjectType } from '../../protocol/objects.js'

/**
 * The style panel's connector and text controls [ED-S1]: what the object model already holds
 * (`dash`, `cornerRadius`, `arrowStart`, `arrowEnd`, `fontFamily`, `align`) as choices, and the
 * changes a choice makes to each selected object, only where its type has the property. Pure;
 * a text's new size comes from `measure`, so the box grows with its font [ED-S2].
 */

export const DASH_STYLES = ['solid', 'dashed', 'dotted'] as const
export type DashStyle = (typeof DASH_STYLES)[number]
/** Dash and gap lengths in stroke widths (objects.ts): what each choice stores. */
export const DASH_PATTERNS: Record<DashStyle, number[]> = { solid: [], dashed: [4, 3], dotted: [1, 2] }

export const FONT_FAMILIES = [
  {
    label: 'Sans-serif',
    value: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  },
  { label: 'Serif', value: 'Georgia, "Times New Roman", serif' },
  { label: 'Monospace', value: 'ui-monospace, "SF Mono", Menlo, Consolas, monospace' },
  { label: 'Handwritten', value: '"Comic Sans MS", "Comic Neue", cursive' },
] as const

export const ALIGNMENTS = ['left', 'center', 'right'] as const

export interface ShapeStyleChange {
  dash?: DashStyle
  cornerRadius?: number
  arrowStart?: boolean
  arrowEnd?: boolean
  fontFamily?: string
  align?: (typeof ALIGNMENTS)[number]
}

const DASHED: readonly ObjectType[] = ['rect', 'ellipse', 'line', 'arrow', 'path', 'frame']
const ROUNDED: readonly ObjectType[] = ['rect', 'frame']

export function shapeStyleAppliesTo(type: ObjectType, key: keyof ShapeStyleChange): boolean {
  switch (key) {
    case 'dash':
      return DASHED.includes(type)
    case 'cornerRadius':
      return ROUNDED.includes(type)
    case 'arrowStart':
    case 'arrowEnd':
      return type === 'arrow'
    case 'fontFamily':
    case 'align':
      return type === 'text'
  }
}

/** The dash choice an object shows: a pattern the panel does not offer reads as dashed. */
export function dashStyleOf(o: CanvasObject): DashStyle {
  const dash = o.dash ?? []
  if (dash.length === 0) return 'solid'
  return DASH_PATTERNS.dotted.every((v, i) => dash[i] === v) && dash.length === 2 ? 'dotted' : 'dashed'
}

export function shapeStyleChanges(
  selected: readonly CanvasObject[],
  change: ShapeStyleChange,
  measure: (o: CanvasObject, text: string) => { width: number; height: number },
): [string, ObjectChanges][] {
  const out: [string, ObjectChanges][] = []
  for (const o of selected) {
    const c: ObjectChanges = {}
    const applies = (key: keyof ShapeStyleChange) =>
      change[key] !== undefined && shapeStyleAppliesTo(o.type, key)
    if (applies('dash') && change.dash) c.dash = [...DASH_PATTERNS[change.dash]]
    if (applies('cornerRadius') && change.cornerRadius !== undefined)
      c.cornerRadius = Math.max(0, Math.round(change.cornerRadius))
    if (applies('arrowStart')) c.arrowStart = change.arrowStart
    if (applies('arrowEnd')) c.arrowEnd = change.arrowEnd
    if (applies('align')) c.align = change.align
    if (applies('fontFamily') && change.fontFamily !== undefined) {
      c.fontFamily = change.fontFamily
      Object.assign(c, measure({ ...o, fontFamily: change.fontFamily }, o.text ?? ''))
    }
    if (Object.keys(c).length > 0) out.push([o.id, c])
  }
  return out
}

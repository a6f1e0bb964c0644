import { COMPONENTS, COMPONENT_KINDS, type ComponentKind } from '../components/catalog.js'
import { COLOR_WORDS } from '../themes/colors.js'
import { THEME_NAMES } from '../themes/themes.js'
import type { Position, ShapeKind } from './plan.js'
import { indexByLength } from './fuzzyWords.js'

/** The planner's words: what it recognises, and what typos are corrected towards. */

/** Component phrases, longest first, so "pricing table" wins over "table". */
export const COMPONENT_PHRASES: readonly { phrase: string; kind: ComponentKind }[] = COMPONENT_KINDS.flatMap(
  (kind) => COMPONENTS[kind].words.map((phrase) => ({ phrase, kind })),
).sort((a, b) => b.phrase.length - a.phrase.length)

/** Plain shapes, singular and plural. `square` marks equal sides. */
export const SHAPE_WORDS: Readonly<Record<string, { shape: ShapeKind; square: boolean }>> = {
  rectangle: { shape: 'rect', square: false },
  rectangles: { shape: 'rect', square: false },
  rect: { shape: 'rect', square: false },
  rects: { shape: 'rect', square: false },
  box: { shape: 'rect', square: false },
  boxes: { shape: 'rect', square: false },
  square: { shape: 'rect', square: true },
  squares: { shape: 'rect', square: true },
  circle: { shape: 'ellipse', square: true },
  circles: { shape: 'ellipse', square: true },
  dot: { shape: 'ellipse', square: true },
  dots: { shape: 'ellipse', square: true },
  ellipse: { shape: 'ellipse', square: false },
  ellipses: { shape: 'ellipse', square: false },
  oval: { shape: 'ellipse', square: false },
  ovals: { shape: 'ellipse', square: false },
  text: { shape: 'text', square: false },
  txt: { shape: 'text', square: false },
  texts: { shape: 'text', square: false },
  heading: { shape: 'text', square: false },
  headline: { shape: 'text', square: false },
  title: { shape: 'text', square: false },
  paragraph: { shape: 'text', square: false },
  line: { shape: 'line', square: false },
  lines: { shape: 'line', square: false },
  divider: { shape: 'line', square: false },
}

export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1,
  a: 1,
  an: 1,
  single: 1,
  two: 2,
  pair: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  couple: 2,
  few: 3,
  several: 4,
}

/** Position phrases, longest first. */
export const POSITION_PHRASES: readonly { phrase: string; position: Position }[] = (
  [
    ['top left', 'top-left'],
    ['upper left', 'top-left'],
    ['top right', 'top-right'],
    ['upper right', 'top-right'],
    ['bottom left', 'bottom-left'],
    ['lower left', 'bottom-left'],
    ['bottom right', 'bottom-right'],
    ['lower right', 'bottom-right'],
    ['at the top', 'top'],
    ['at the bottom', 'bottom'],
    ['on the left', 'left'],
    ['to the left', 'left'],
    ['on the right', 'right'],
    ['to the right', 'right'],
    ['in the middle', 'center'],
    ['in the center', 'center'],
    ['in the centre', 'center'],
    ['centered', 'center'],
  ] as const
)
  .map(([phrase, position]) => ({ phrase, position }))
  // Corners first: "at the top right" is top-right, not top.
  .sort(
    (a, b) =>
      Number(b.position.includes('-')) - Number(a.position.includes('-')) ||
      b.phrase.length - a.phrase.length,
  )

/** Every word a typo may be corrected to. */
export const VOCABULARY: ReadonlySet<string> = new Set(
  [
    ...COMPONENT_PHRASES.flatMap((p) => p.phrase.split(' ')),
    ...Object.keys(SHAPE_WORDS),
    ...Object.keys(COLOR_WORDS),
    ...THEME_NAMES,
    ...Object.keys(NUMBER_WORDS),
    ...POSITION_PHRASES.flatMap((p) => p.phrase.split(' ')),
    ...'create add make build draw insert generate design place give need want please show put new'.split(
      ' ',
    ),
    ...'delete remove erase clear drop get rid of'.split(' '),
    ...'align left right top bottom center centre middle horizontally vertically horizontal vertical'.split(
      ' ',
    ),
    ...'arrange grid distribute space spread evenly equally row column columns rows tier tiers items links tabs bars'.split(
      ' ',
    ),
    ...'bigger larger smaller enlarge shrink grow scale twice double half tiny small medium large huge big'.split(
      ' ',
    ),
    ...'change color colour paint fill recolor turn set theme mode dark light selected selection these those them then also everything all every with and the'.split(
      ' ',
    ),
    ...'says saying labeled labelled called named titled reading'.split(' '),
  ].filter((w) => w.length >= 4),
)

export const VOCABULARY_BY_LENGTH = indexByLength(VOCABULARY)

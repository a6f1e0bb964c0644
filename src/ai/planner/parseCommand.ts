import type { ComponentKind } from '../components/catalog.js'
import { SIZES, type Size } from '../components/buildOptions.js'
import { COLOR_WORDS } from '../themes/colors.js'
import { THEME_NAMES } from '../themes/themes.js'
import { correctWord } from './fuzzyWords.js'
import {
  COMPONENT_PHRASES,
  NUMBER_WORDS,
  POSITION_PHRASES,
  SHAPE_WORDS,
  VOCABULARY,
  VOCABULARY_BY_LENGTH,
} from './vocabulary.js'
import { PLAN_LIMITS, type EditCommand, type Plan, type Position, type Step, type Target } from './plan.js'

/**
 * The built-in planner: a command in English to steps, pure and deterministic, no model and no
 * network (docs/ai.md "What the planner understands"). It reads a command as clauses ("…, then
 * …"); each clause is an edit of what exists (a verb such as align, delete, change, make it…)
 * or something to create (a component, or plain shapes). Quoted text becomes labels; typos
 * within an edit or two of a known word are corrected. What it cannot read is returned as
 * `rest`, for Claude when configured.
 */
export function parseCommand(command: string): Plan {
  const { text, labels } = extractLabels(command.slice(0, PLAN_LIMITS.commandLength))
  // Split before typos are corrected, so what is not understood goes on as the user wrote it.
  const clauses = splitClauses(simplify(text))
  const steps: Step[] = []
  const rest: string[] = []
  for (const clause of clauses) {
    const step = parseClause(correct(clause), labels)
    if (step) steps.push(step)
    else rest.push(restoreLabels(clause, labels))
  }
  return { steps: steps.slice(0, PLAN_LIMITS.steps), rest }
}

const LABEL_TOKEN = 'qlabel'

/** Quoted texts ("…", '…', “…”) become labels, in order; the command keeps a token for each. */
function extractLabels(command: string): { text: string; labels: string[] } {
  const labels: string[] = []
  const token = (value: string) => {
    labels.push(value.trim())
    return ` ${LABEL_TOKEN}${labels.length - 1} `
  }
  let text = command
    .replace(/"([^"]{0,200})"/g, (_m, v: string) => token(v))
    .replace(/[“”]([^“”]{0,200})[“”]/g, (_m, v: string) => token(v))
    .replace(/(^|\s)'([^']{1,200})'(?=\s|$|[.,;!?])/g, (_m, pre: string, v: string) => pre + token(v))
  // Unquoted: "a button that says Submit", "a card titled Summer sale".
  text = text.replace(
    /\b(?:that says|which says|saying|says|labell?ed|called|named|titled|reading|with (?:the )?(?:text|label|title))\s+(?!\s*qlabel)([^,;]+?)(?=\s+(?:at|in|on|and|then|with)\s|[,;.!?]|\s*$)/gi,
    (_m, v: string) => token(v),
  )
  return { text, labels }
}

function restoreLabels(clause: string, labels: readonly string[]): string {
  return clause.replace(
    new RegExp(`${LABEL_TOKEN}(\\d+)`, 'g'),
    (_m, i: string) => `"${labels[Number(i)] ?? ''}"`,
  )
}

/** Lower case, punctuation out (a comma before a verb ends a clause), "3 x 4" → "3x4". */
function simplify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/(\d+)\s*(?:x|×|\*|by)\s*(\d+)/g, '$1x$2')
    .replace(
      /,\s*(?=(?:and |then |also )?(?:add|create|make|draw|put|insert|align|delete|remove|distribute|arrange|change|then)\b)/g,
      ';',
    )
    .replace(/[^a-z0-9#%;'\s-]/g, ' ')
    .replace(/-/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '')
    .join(' ')
}

function correct(clause: string): string {
  return clause
    .split(' ')
    .map((w) => (w.startsWith(LABEL_TOKEN) ? w : correctWord(w, VOCABULARY, VOCABULARY_BY_LENGTH)))
    .join(' ')
}

function splitClauses(text: string): string[] {
  return text
    .split(
      /\s*;\s*|\s+(?:and then|then|and also|also)\s+|\s+and\s+(?=(?:a|an|add|create|make|draw|put|insert|align|delete|remove|distribute|arrange|change)\s)/,
    )
    .map((c) => c.trim())
    .filter((c) => c !== '')
}

const CREATE_VERBS =
  /\b(create|add|build|draw|insert|generate|design|give me|i need|i want|new|show me|mock up|mockup|sketch)\b/
const EDIT_VERBS =
  /\b(delete|remove|erase|clear|get rid of|align|line up|distribute|space (?:out|them|these)?|spread|arrange|organi[sz]e|lay out|layout|change|turn|paint|recolou?r|colou?r|fill|resize|shrink|enlarge|grow|scale|switch|apply|use|set|bigger|larger|smaller)\b/
const MAKE_EDIT =
  /\b(make|put|place|move) (it|them|these|those|this|that|the|all|everything|every|selected|my|each)\b/
const PRONOUNS = /\b(it|them|these|those|this|that|selected|selection)\b/

function parseClause(clause: string, labels: readonly string[]): Step | undefined {
  const c = ` ${clause} `
  const creating =
    CREATE_VERBS.test(c) || /\bmake (a|an|me|one|\d+|two|three|four|five|six|seven|eight|nine|ten)\b/.test(c)
  const editing = !creating && (EDIT_VERBS.test(c) || MAKE_EDIT.test(c))
  if (editing) {
    const edit = parseEdit(c)
    // "a toggle switch" has an edit verb in it: what is no edit may still be a thing to create.
    if (edit) return { kind: 'edit', edit }
  }
  return parseCreate(c, labels)
}

// ---- edits -----------------------------------------------------------------------------------------

function parseEdit(c: string): EditCommand | undefined {
  if (/\b(delete|remove|erase|clear|get rid of)\b/.test(c)) return { op: 'delete', target: targetOf(c) }
  if (/\b(align|line up)\b/.test(c)) {
    const edge = /\bleft\b/.test(c)
      ? 'left'
      : /\bright\b/.test(c)
        ? 'right'
        : /\btop\b/.test(c)
          ? 'top'
          : /\bbottom\b/.test(c)
            ? 'bottom'
            : /\b(middle|vertically|vertical)\b/.test(c)
              ? 'middle'
              : /\b(center|centre|centers|horizontally|horizontal)\b/.test(c)
                ? 'center'
                : undefined
    return edge === undefined ? { op: 'align', edge: 'left' } : { op: 'align', edge }
  }
  if (/\b(distribute|spread|space)\b/.test(c)) {
    return {
      op: 'distribute',
      axis: /\b(vertical|vertically|column|down)\b/.test(c) ? 'vertical' : 'horizontal',
    }
  }
  if (
    /\b(arrange|organi[sz]e|lay out|layout|put|place)\b/.test(c) &&
    /\b(grid|row|column|columns)\b/.test(c)
  ) {
    if (/\bin a row\b|\bin one row\b|\bhorizontal(ly)? row\b/.test(c))
      return { op: 'arrange-grid', columns: Number.MAX_SAFE_INTEGER }
    if (/\bin a column\b|\bin one column\b/.test(c)) return { op: 'arrange-grid', columns: 1 }
    const dims = /\b(\d+)x(\d+)\b/.exec(c)
    const cols = /\b(\d+|[a-z]+) columns?\b/.exec(c)
    const columns = dims ? Number(dims[2]) : cols ? numberOf(cols[1] ?? '') : undefined
    return columns === undefined
      ? { op: 'arrange-grid' }
      : { op: 'arrange-grid', columns: Math.max(1, Math.min(50, columns)) }
  }
  const factor = resizeFactor(c)
  if (factor !== undefined) return { op: 'resize', factor }
  const theme = themeIn(c)
  const color = colorIn(c)
  if (theme !== undefined && color === undefined) return { op: 'theme', theme }
  if (color !== undefined) return { op: 'recolor', target: targetOf(c), color }
  return undefined
}

function resizeFactor(c: string): number | undefined {
  const percent = /\b(\d{1,3})\s*%\s*(bigger|larger|smaller)\b/.exec(c)
  if (percent) {
    const p = Number(percent[1]) / 100
    return percent[2] === 'smaller' ? Math.max(0.1, 1 - p) : 1 + p
  }
  if (/\b(twice as (big|large)|double( the size)?|2x (bigger|larger))\b/.test(c)) return 2
  if (/\b(half( the size| as big)?)\b/.test(c)) return 0.5
  if (/\b(bigger|larger|enlarge|grow|scale up|increase)\b/.test(c)) return 1.5
  if (/\b(smaller|shrink|scale down|reduce|decrease)\b/.test(c)) return 2 / 3
  return undefined
}

const TYPE_WORDS: Readonly<Record<string, NonNullable<Target['types']>[number]>> = {
  frame: 'frame',
  frames: 'frame',
  component: 'frame',
  components: 'frame',
}

function targetOf(c: string): Target {
  const target: Target = {}
  const types = new Set<NonNullable<Target['types']>[number]>()
  for (const word of c.trim().split(' ')) {
    const shape = SHAPE_WORDS[word]
    if (shape) types.add(shape.shape)
    const type = TYPE_WORDS[word]
    if (type) types.add(type)
  }
  if (types.size > 0) target.types = [...types]
  // "the button", "all cards": components by name. Plurals name them too.
  for (const { phrase } of COMPONENT_PHRASES) {
    if (phrase.length < 3) continue
    if (new RegExp(`\\b${phrase}s?\\b`).test(c)) {
      target.named = phrase
      break
    }
  }
  if (/\b(all|every|everything|each)\b/.test(c) && !PRONOUNS.test(c)) target.scope = 'all'
  else if (PRONOUNS.test(c)) target.scope = 'selection'
  return target
}

// ---- creation --------------------------------------------------------------------------------------

function parseCreate(c: string, allLabels: readonly string[]): Step | undefined {
  const labels = [...c.matchAll(new RegExp(`${LABEL_TOKEN}(\\d+)`, 'g'))].map(
    (m) => allLabels[Number(m[1])] ?? '',
  )
  const plain = c.replace(new RegExp(`${LABEL_TOKEN}\\d+`, 'g'), ' ')
  const size = sizeIn(plain)
  const position = positionIn(plain)
  const color = colorIn(plain)
  const theme = themeIn(plain)

  const gridOf = /\b(?:(\d+)x(\d+) )?grid of ((?:\S+ )*)/.exec(plain)
  const gridWords = gridOf?.[3]?.trim().split(' ') ?? []
  const gridShape = gridWords.find((w) => SHAPE_WORDS[w] !== undefined)
  if (gridOf && gridShape !== undefined) {
    const shape = SHAPE_WORDS[gridShape] as (typeof SHAPE_WORDS)[string]
    let rows = gridOf[1] !== undefined ? Number(gridOf[1]) : undefined
    let columns = gridOf[2] !== undefined ? Number(gridOf[2]) : undefined
    if (rows === undefined) {
      const n = numberOf(gridWords[0] ?? '') ?? 9
      columns = Math.ceil(Math.sqrt(n))
      rows = Math.ceil(n / columns)
    }
    return shapes(shape, rows, columns ?? rows, { color, size, position, text: labels[0] })
  }

  const component = componentIn(plain)
  if (component !== undefined) {
    const step: Step = { kind: 'create', component: component.kind, labels, size }
    const count = countFor(plain, component)
    if (count !== undefined) step.count = count
    const dims = /\b(\d+)x(\d+)\b/.exec(plain)
    const columns = /\b(\d+|[a-z]+) (?:columns?|cols?)\b/.exec(plain)
    if (dims) {
      step.count = Number(dims[1])
      step.columns = Number(dims[2])
    } else if (columns) {
      const n = numberOf(columns[1] ?? '')
      if (n !== undefined) step.columns = n
    }
    if (theme !== undefined) step.theme = theme
    if (color !== undefined) step.color = color
    if (position !== undefined) step.position = position
    return step
  }

  for (const word of plain.trim().split(' ')) {
    const shape = SHAPE_WORDS[word]
    if (!shape) continue
    const before = new RegExp(`\\b(\\d+|${COUNT_WORDS}) (?:[a-z#0-9]+ )?${word}\\b`).exec(plain)
    const n = Math.max(
      1,
      Math.min(PLAN_LIMITS.shapeRows * PLAN_LIMITS.shapeColumns, numberOf(before?.[1] ?? '') ?? 1),
    )
    const columns = Math.min(PLAN_LIMITS.shapeColumns, n <= 5 ? n : Math.ceil(Math.sqrt(n)))
    return shapes(shape, Math.ceil(n / columns), columns, { color, size, position, text: labels[0] })
  }
  return undefined
}

function shapes(
  shape: (typeof SHAPE_WORDS)[string],
  rows: number,
  columns: number,
  o: { color: string | undefined; size: Size; position: Position | undefined; text: string | undefined },
): Step {
  const step: Step = {
    kind: 'shapes',
    shape: shape.shape,
    square: shape.square,
    rows: Math.max(1, Math.min(PLAN_LIMITS.shapeRows, rows)),
    columns: Math.max(1, Math.min(PLAN_LIMITS.shapeColumns, columns)),
    size: o.size,
  }
  if (o.color !== undefined) step.color = o.color
  if (o.position !== undefined) step.position = o.position
  if (o.text !== undefined) step.text = o.text
  return step
}

function componentIn(c: string): { kind: ComponentKind; phrase: string; at: number } | undefined {
  let best: { kind: ComponentKind; phrase: string; at: number } | undefined
  for (const { phrase, kind } of COMPONENT_PHRASES) {
    const m = new RegExp(`\\b${phrase}(?:e?s)?\\b`).exec(c)
    if (m && (best === undefined || phrase.length > best.phrase.length)) best = { kind, phrase, at: m.index }
  }
  return best
}

const COUNT_WORDS = Object.keys(NUMBER_WORDS)
  .filter((w) => w !== 'a' && w !== 'an')
  .join('|')
const COUNT_NOUNS =
  'rows?|items?|tiers?|plans?|tabs?|links?|columns?|bars?|entries|options?|sections?|levels?|steps?|things?'

function countFor(c: string, component: { phrase: string; at: number }): number | undefined {
  const after = new RegExp(`\\b(?:with|of|having|and) (\\d+|[a-z]+) (?:[a-z]+ )?(?:${COUNT_NOUNS})\\b`).exec(
    c,
  )
  const n = numberOf(after?.[1] ?? '')
  if (n !== undefined && !/columns?\b/.test(after?.[0] ?? '')) return n
  const before = /\b(\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) (?:[a-z]+ )?$/.exec(
    c.slice(0, component.at),
  )
  const m = numberOf(before?.[1] ?? '')
  if (m !== undefined) return m
  const counted = new RegExp(`\\b(\\d+|[a-z]+)[ -](?:${COUNT_NOUNS})\\b`).exec(c)
  const k = numberOf(counted?.[1] ?? '')
  return k !== undefined && !/columns?\b/.test(counted?.[0] ?? '') ? k : undefined
}

function numberOf(word: string): number | undefined {
  if (/^\d{1,4}$/.test(word)) return Number(word)
  const n = NUMBER_WORDS[word]
  return n !== undefined && word !== 'a' && word !== 'an' ? n : undefined
}

function sizeIn(c: string): Size {
  if (/\b(tiny|small|little|compact|mini)\b/.test(c)) return 'small'
  if (/\b(large|big|huge|giant|wide|xl)\b/.test(c)) return 'large'
  return SIZES[1]
}

function positionIn(c: string): Position | undefined {
  for (const { phrase, position } of POSITION_PHRASES) if (c.includes(` ${phrase} `)) return position
  return undefined
}

function colorIn(c: string): string | undefined {
  const hex = /(#[0-9a-f]{6})\b/.exec(c)
  if (hex) return hex[1]
  for (const word of c.trim().split(' ')) {
    const color = COLOR_WORDS[word]
    if (color !== undefined) return color
  }
  return undefined
}

function themeIn(c: string): string | undefined {
  if (/\bdark (mode|theme|style)\b|\bin dark\b|\bdark\b/.test(c)) return 'dark'
  if (/\blight (mode|theme|style)\b|\bin light\b/.test(c)) return 'light'
  for (const name of THEME_NAMES) if (new RegExp(`\\b${name}\\b`).test(c)) return name
  return undefined
}

/** Things the planner can do, for the 422 answer: the three sharing most words with the command. */
export const EXAMPLE_COMMANDS = [
  'create a login form',
  'add a pricing table with 3 tiers in dark theme',
  'make a 3x3 grid of red circles',
  'create a navigation bar at the top',
  'add a button that says "Sign up"',
  'create a data table with 5 rows and 4 columns',
  'arrange the selected shapes in a grid',
  'align left',
  'distribute horizontally',
  'make these bigger',
  'delete all text',
  'change the button color to green',
  'make it dark',
  'create a sign up form',
  'add a card titled "Summer sale"',
  'create a hero section',
]

export function suggestionsFor(command: string): string[] {
  const words = new Set(correct(simplify(command)).split(' '))
  return EXAMPLE_COMMANDS.map((example, i) => ({
    example,
    i,
    score: example.split(/\s+/).filter((w) => w.length > 2 && words.has(w.replace(/[^a-z0-9]/g, ''))).length,
  }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, 3)
    .map((s) => s.example)
}

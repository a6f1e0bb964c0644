import { Type, type Static, type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { MAX_COLUMNS, MAX_COUNT, SIZES } from '../components/buildOptions.js'
import { COMPONENTS, COMPONENT_KINDS, isComponentKind } from '../components/catalog.js'
import { COLOR_WORDS } from '../themes/colors.js'
import { THEME_NAMES } from '../themes/themes.js'
import { PLAN_LIMITS, POSITIONS, SHAPES, type EditCommand, type Step } from '../planner/plan.js'

/**
 * The builders and edit commands as Claude tools: JSON Schemas the model fills, checked here like
 * any client input before they become plan steps. The model never emits canvas objects, only
 * these calls; a call that fails its schema fails the whole answer (nothing partial is kept).
 */

const Label = Type.String({ maxLength: 80 })
const Color = Type.String({
  maxLength: 16,
  pattern: `^(#[0-9a-fA-F]{6}|${Object.keys(COLOR_WORDS).join('|')})$`,
  description: 'a #rrggbb colour or a colour word',
})
const Theme = Type.Enum([...THEME_NAMES], { description: 'a named theme' })
const Size = Type.Enum([...SIZES])
const Position = Type.Enum([...POSITIONS], { description: 'where in the view, when the user said' })

const CreateInput = Type.Object(
  {
    labels: Type.Optional(Type.Array(Label, { maxItems: 12 })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_COUNT })),
    columns: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_COLUMNS })),
    theme: Type.Optional(Theme),
    color: Type.Optional(Color),
    size: Type.Optional(Size),
    position: Type.Optional(Position),
  },
  { additionalProperties: false },
)

const ShapesInput = Type.Object(
  {
    shape: Type.Enum([...SHAPES]),
    rows: Type.Integer({ minimum: 1, maximum: PLAN_LIMITS.shapeRows }),
    columns: Type.Integer({ minimum: 1, maximum: PLAN_LIMITS.shapeColumns }),
    square: Type.Optional(Type.Boolean({ description: 'squares and circles: equal sides' })),
    color: Type.Optional(Color),
    size: Type.Optional(Size),
    text: Type.Optional(Label),
    position: Type.Optional(Position),
  },
  { additionalProperties: false },
)

const TargetSchema = Type.Object(
  {
    scope: Type.Optional(Type.Enum(['selection', 'all'])),
    types: Type.Optional(
      Type.Array(Type.Enum(['rect', 'ellipse', 'text', 'line', 'frame']), { maxItems: 5 }),
    ),
    named: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
)

const EDIT_INPUTS = {
  align: Type.Object(
    { edge: Type.Enum(['left', 'right', 'top', 'bottom', 'center', 'middle']) },
    { additionalProperties: false },
  ),
  distribute: Type.Object({ axis: Type.Enum(['horizontal', 'vertical']) }, { additionalProperties: false }),
  arrange_grid: Type.Object(
    { columns: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) },
    { additionalProperties: false },
  ),
  resize: Type.Object(
    { factor: Type.Number({ minimum: 0.1, maximum: 10 }) },
    { additionalProperties: false },
  ),
  delete_objects: Type.Object({ target: TargetSchema }, { additionalProperties: false }),
  recolor: Type.Object({ target: TargetSchema, color: Color }, { additionalProperties: false }),
  apply_theme: Type.Object({ theme: Theme }, { additionalProperties: false }),
} as const

const EDIT_DESCRIPTIONS: Record<keyof typeof EDIT_INPUTS, string> = {
  align: 'Align the selected shapes along an edge or centre line.',
  distribute: 'Space the selected shapes (3 or more) evenly.',
  arrange_grid: 'Arrange the selected shapes in a grid.',
  resize: 'Scale the selected shapes by a factor (1.5 = bigger, 0.5 = half).',
  delete_objects: 'Delete objects: the selection, or all of a type or name.',
  recolor: 'Change the colour of objects: the selection, or all of a type or name ("button").',
  apply_theme: 'Move the selection (or the canvas) to another theme.',
}

const COMPILED_CREATE = Compile(CreateInput)
const COMPILED_SHAPES = Compile(ShapesInput)
const COMPILED_EDITS = Object.fromEntries(
  Object.entries(EDIT_INPUTS).map(([k, v]) => [k, Compile(v as TSchema)]),
) as Record<keyof typeof EDIT_INPUTS, ReturnType<typeof Compile>>

export interface ToolDefinition {
  name: string
  description: string
  input_schema: { type: 'object'; [key: string]: unknown }
}

const toolName = (kind: string) => `create_${kind.replace(/-/g, '_')}`
const schemaOf = (schema: TSchema) => JSON.parse(JSON.stringify(schema)) as ToolDefinition['input_schema']

/** Every tool offered to the model, in a stable order (the prompt cache keys on it). */
export const TOOLS: readonly ToolDefinition[] = [
  ...COMPONENT_KINDS.map((kind) => {
    const spec = COMPONENTS[kind] as { description: string; labels: string; count?: string }
    return {
      name: toolName(kind),
      description: `Create ${spec.description}. labels: ${spec.labels}.${spec.count ? ` count: ${spec.count}.` : ''}`,
      input_schema: schemaOf(CreateInput),
    }
  }),
  {
    name: 'create_shapes',
    description: 'Create plain shapes in rows and columns (one shape: 1×1).',
    input_schema: schemaOf(ShapesInput),
  },
  ...Object.entries(EDIT_INPUTS).map(([name, schema]) => ({
    name,
    description: EDIT_DESCRIPTIONS[name as keyof typeof EDIT_INPUTS],
    input_schema: schemaOf(schema),
  })),
]

export class ToolCallRejected extends Error {
  override name = 'ToolCallRejected'
}

const hex = (color: string): string => COLOR_WORDS[color] ?? color.toLowerCase()

/** A tool call as a plan step, or ToolCallRejected: an unknown tool or an input its schema refuses. */
export function stepFromToolCall(name: string, input: unknown): Step {
  if (name === 'create_shapes') {
    if (!COMPILED_SHAPES.Check(input))
      throw new ToolCallRejected(`create_shapes: input does not match its schema`)
    const v = input
    const step: Step = {
      kind: 'shapes',
      shape: v.shape,
      rows: v.rows,
      columns: v.columns,
      square: v.square ?? false,
      size: v.size ?? 'medium',
    }
    if (v.color !== undefined) step.color = hex(v.color)
    if (v.text !== undefined) step.text = v.text
    if (v.position !== undefined) step.position = v.position
    return step
  }
  if (name.startsWith('create_')) {
    const kind = name.slice('create_'.length).replace(/_/g, '-')
    if (!isComponentKind(kind))
      throw new ToolCallRejected(`unknown tool ${JSON.stringify(name.slice(0, 60))}`)
    if (!COMPILED_CREATE.Check(input)) throw new ToolCallRejected(`${name}: input does not match its schema`)
    const v = input
    const step: Step = {
      kind: 'create',
      component: kind,
      labels: [...(v.labels ?? [])],
      size: v.size ?? 'medium',
    }
    if (v.count !== undefined) step.count = v.count
    if (v.columns !== undefined) step.columns = v.columns
    if (v.theme !== undefined) step.theme = v.theme
    if (v.color !== undefined) step.color = hex(v.color)
    if (v.position !== undefined) step.position = v.position
    return step
  }
  if (!Object.hasOwn(COMPILED_EDITS, name))
    throw new ToolCallRejected(`unknown tool ${JSON.stringify(name.slice(0, 60))}`)
  const validator = COMPILED_EDITS[name as keyof typeof EDIT_INPUTS]
  if (!validator.Check(input)) throw new ToolCallRejected(`${name}: input does not match its schema`)
  return { kind: 'edit', edit: editOf(name as keyof typeof EDIT_INPUTS, input as Record<string, unknown>) }
}

function editOf(name: keyof typeof EDIT_INPUTS, v: Record<string, unknown>): EditCommand {
  switch (name) {
    case 'align':
      return { op: 'align', edge: v.edge as Extract<EditCommand, { op: 'align' }>['edge'] }
    case 'distribute':
      return { op: 'distribute', axis: v.axis as 'horizontal' | 'vertical' }
    case 'arrange_grid':
      return v.columns === undefined
        ? { op: 'arrange-grid' }
        : { op: 'arrange-grid', columns: v.columns as number }
    case 'resize':
      return { op: 'resize', factor: v.factor as number }
    case 'delete_objects':
      return { op: 'delete', target: v.target as Static<typeof TargetSchema> }
    case 'recolor':
      return { op: 'recolor', target: v.target as Static<typeof TargetSchema>, color: hex(v.color as string) }
    case 'apply_theme':
      return { op: 'theme', theme: v.theme as string }
  }
}

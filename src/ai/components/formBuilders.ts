import { clampCount, labelAt, scale, type BuildOptions } from './buildOptions.js'
import {
  buttonParts,
  fieldHeight,
  fieldParts,
  frame,
  hline,
  label,
  lineHeight,
  rect,
  snapUp,
  type Component,
  type Draft,
} from './draft.js'

/** Components that stack rows inside a padded panel: forms, cards, dialogs. */

const PAD = 24
const GAP = 16

/** Stacks fields top to bottom from `y`; returns the parts and the y below them. */
function stackFields(
  fields: readonly [string, string][],
  y: number,
  width: number,
  o: BuildOptions,
): { parts: Draft[]; y: number } {
  const parts: Draft[] = []
  for (const [caption, placeholder] of fields) {
    parts.push(...fieldParts(caption, caption, placeholder, PAD, y, width, o.theme))
    y += fieldHeight(o.theme) + GAP
  }
  return { parts, y }
}

function titleParts(
  title: string,
  subtitle: string | undefined,
  width: number,
  o: BuildOptions,
): { parts: Draft[]; y: number } {
  const t = o.theme
  const parts = [label('Title', title, PAD, PAD, width, { fontSize: t.fontSizes.title, color: t.text })]
  let y = PAD + snapUp(lineHeight(t.fontSizes.title))
  if (subtitle !== undefined) {
    parts.push(label('Subtitle', subtitle, PAD, y, width, { fontSize: t.fontSizes.small, color: t.muted }))
    y += snapUp(lineHeight(t.fontSizes.small))
  }
  return { parts, y: y + GAP }
}

function form(
  kind: string,
  defaults: { title: string; subtitle: string; fields: [string, string][]; action: string; footer: string },
  o: BuildOptions,
): Component {
  const t = o.theme
  const width = snapUp(360 * scale(o.size))
  const inner = width - PAD * 2
  const title = titleParts(labelAt(o, 0, defaults.title), defaults.subtitle, inner, o)
  const fields = stackFields(defaults.fields, title.y, inner, o)
  let y = fields.y
  const parts = [...title.parts, ...fields.parts]
  parts.push(...buttonParts(defaults.action, labelAt(o, 1, defaults.action), PAD, y, inner, 40, t))
  y += 40 + GAP
  parts.push(
    label('Footer link', defaults.footer, PAD, y, inner, {
      fontSize: t.fontSizes.small,
      color: t.primary,
      align: 'center',
    }),
  )
  y += snapUp(lineHeight(t.fontSizes.small)) + PAD
  return frame(kind, defaults.title, width, y, parts, t)
}

export function loginForm(o: BuildOptions): Component {
  return form(
    'login-form',
    {
      title: 'Sign in',
      subtitle: 'Welcome back! Please enter your details.',
      fields: [
        ['Email', 'you@example.com'],
        ['Password', '••••••••'],
      ],
      action: 'Sign in',
      footer: 'Forgot password?',
    },
    o,
  )
}

export function signUpForm(o: BuildOptions): Component {
  return form(
    'signup-form',
    {
      title: 'Create an account',
      subtitle: 'It takes less than a minute.',
      fields: [
        ['Name', 'Ada Lovelace'],
        ['Email', 'you@example.com'],
        ['Password', 'At least 8 characters'],
        ['Confirm password', 'Repeat the password'],
      ],
      action: 'Sign up',
      footer: 'Already have an account? Sign in',
    },
    o,
  )
}

export function card(o: BuildOptions): Component {
  const t = o.theme
  const width = snapUp(320 * scale(o.size))
  const inner = width - PAD * 2
  const imageHeight = snapUp(width * 0.5)
  const parts: Draft[] = [rect('Card image', 0, 0, width, imageHeight, { fill: t.surface })]
  let y = imageHeight + GAP
  parts.push(
    label('Card title', labelAt(o, 0, 'Card title'), PAD, y, inner, {
      fontSize: t.fontSizes.title,
      color: t.text,
    }),
  )
  y += snapUp(lineHeight(t.fontSizes.title)) + 8
  parts.push(
    label('Card text', labelAt(o, 1, 'A short description of this card.'), PAD, y, inner, {
      fontSize: t.fontSizes.body,
      color: t.muted,
    }),
  )
  y += snapUp(lineHeight(t.fontSizes.body)) + GAP
  parts.push(...buttonParts('Card action', labelAt(o, 2, 'Learn more'), PAD, y, 144, 40, t))
  return frame('card', labelAt(o, 0, 'Card'), width, y + 40 + PAD, parts, t)
}

export function modalDialog(o: BuildOptions): Component {
  const t = o.theme
  const width = snapUp(440 * scale(o.size))
  const inner = width - PAD * 2
  const parts: Draft[] = [
    label('Dialog title', labelAt(o, 0, 'Are you sure?'), PAD, PAD, inner - 32, {
      fontSize: t.fontSizes.title,
      color: t.text,
    }),
  ]
  parts.push(
    label('Close', '×', width - PAD - 24, PAD, 24, {
      fontSize: t.fontSizes.title,
      color: t.muted,
      align: 'center',
    }),
  )
  let y = PAD + snapUp(lineHeight(t.fontSizes.title)) + 8
  parts.push(
    label('Dialog text', labelAt(o, 1, 'This action cannot be undone.'), PAD, y, inner, {
      fontSize: t.fontSizes.body,
      color: t.muted,
    }),
  )
  y += snapUp(lineHeight(t.fontSizes.body)) + PAD
  parts.push(hline('Divider', 0, y, width, t.border))
  y += GAP
  const buttonWidth = 112
  parts.push(
    ...buttonParts(
      'Cancel',
      labelAt(o, 2, 'Cancel'),
      width - PAD - buttonWidth * 2 - 8,
      y,
      buttonWidth,
      40,
      t,
      false,
    ),
  )
  parts.push(
    ...buttonParts('Confirm', labelAt(o, 3, 'Confirm'), width - PAD - buttonWidth, y, buttonWidth, 40, t),
  )
  return frame('modal-dialog', 'Dialog', width, y + 40 + PAD, parts, t)
}

export function list(o: BuildOptions): Component {
  const t = o.theme
  const items = clampCount(o.count ?? (o.labels.length || undefined), 5)
  const width = snapUp(320 * scale(o.size))
  const rowHeight = 48
  const parts: Draft[] = []
  for (let i = 0; i < items; i++) {
    const y = 8 + i * rowHeight
    parts.push(rect(`Item ${i + 1} bullet`, 16, y + 20, 8, 8, { fill: t.primary }))
    parts.push(
      label(`Item ${i + 1}`, labelAt(o, i, `List item ${i + 1}`), 40, y, width - 56, {
        fontSize: t.fontSizes.body,
        color: t.text,
        boxHeight: rowHeight,
      }),
    )
    if (i < items - 1) parts.push(hline(`Item ${i + 1} divider`, 16, y + rowHeight, width - 32, t.border))
  }
  return frame('list', 'List', width, items * rowHeight + 16, parts, t)
}

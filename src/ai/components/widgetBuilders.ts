import { clampCount, labelAt, scale, type BuildOptions } from './buildOptions.js'
import {
  buttonParts,
  ellipse,
  fieldParts,
  fieldHeight,
  frame,
  label,
  rect,
  rounded,
  snapUp,
  textWidth,
  type Component,
  type Draft,
} from './draft.js'

/**
 * Small components: one control each. Their frame is invisible (transparent) and hugs them, so
 * a button looks like a button, and is still one thing to select and move.
 */

const bare = (
  kind: string,
  name: string,
  width: number,
  height: number,
  parts: Draft[],
  o: BuildOptions,
): Component => ({
  ...frame(kind, name, width, height, parts, o.theme),
  fill: 'transparent',
  stroke: 'transparent',
})

export function button(o: BuildOptions): Component {
  const text = labelAt(o, 0, 'Button')
  const height = o.size === 'small' ? 32 : o.size === 'large' ? 56 : 40
  const width = Math.min(
    480,
    Math.max(snapUp(96 * scale(o.size)), snapUp(textWidth(text, o.theme.fontSizes.body) + 48)),
  )
  return bare(
    'button',
    `${text} button`,
    width,
    height,
    buttonParts(text, text, 0, 0, width, height, o.theme),
    o,
  )
}

export function textInput(o: BuildOptions): Component {
  const caption = labelAt(o, 0, 'Label')
  const width = snapUp(280 * scale(o.size))
  return bare(
    'text-input',
    `${caption} field`,
    width,
    fieldHeight(o.theme),
    fieldParts(caption, caption, labelAt(o, 1, 'Type here…'), 0, 0, width, o.theme),
    o,
  )
}

export function searchBar(o: BuildOptions): Component {
  const width = snapUp(360 * scale(o.size))
  const t = o.theme
  return bare(
    'search-bar',
    'Search bar',
    width,
    40,
    [
      rect('Search box', 0, 0, width, 40, {
        fill: t.background,
        stroke: t.border,
        strokeWidth: 1,
        cornerRadius: rounded(t, 40),
      }),
      ellipse('Search icon', 12, 12, 16, { fill: 'transparent', stroke: t.muted, strokeWidth: 2 }),
      label('Search placeholder', labelAt(o, 0, 'Search…'), 40, 0, width - 52, {
        fontSize: t.fontSizes.body,
        color: t.muted,
        boxHeight: 40,
      }),
    ],
    o,
  )
}

export function dropdown(o: BuildOptions): Component {
  const width = snapUp(240 * scale(o.size))
  const t = o.theme
  return bare(
    'dropdown',
    'Dropdown',
    width,
    40,
    [
      rect('Dropdown box', 0, 0, width, 40, {
        fill: t.background,
        stroke: t.border,
        strokeWidth: 1,
        cornerRadius: rounded(t, 40),
      }),
      label('Dropdown value', labelAt(o, 0, 'Choose an option'), 12, 0, width - 48, {
        fontSize: t.fontSizes.body,
        color: t.text,
        boxHeight: 40,
      }),
      label('Dropdown chevron', '▾', width - 32, 0, 24, {
        fontSize: t.fontSizes.body,
        color: t.muted,
        align: 'center',
        boxHeight: 40,
      }),
    ],
    o,
  )
}

export function checkbox(o: BuildOptions): Component {
  const t = o.theme
  const text = labelAt(o, 0, 'Remember me')
  const width = snapUp(32 + textWidth(text, t.fontSizes.body))
  const mark =
    t.radius >= 12
      ? ellipse
      : (n: string, x: number, y: number, s: number, st: Partial<Draft>) => rect(n, x, y, s, s, st)
  return bare(
    'checkbox',
    `${text} checkbox`,
    width,
    24,
    [
      mark('Checkbox box', 0, 4, 16, { fill: t.primary, stroke: t.primary, strokeWidth: 1 }),
      label('Checkbox label', text, 24, 0, width - 24, {
        fontSize: t.fontSizes.body,
        color: t.text,
        boxHeight: 24,
      }),
    ],
    o,
  )
}

export function toggle(o: BuildOptions): Component {
  const t = o.theme
  const text = labelAt(o, 0, 'Notifications')
  const width = snapUp(56 + textWidth(text, t.fontSizes.body))
  return bare(
    'toggle',
    `${text} toggle`,
    width,
    24,
    [
      rect('Toggle track', 0, 0, 40, 24, { fill: t.primary, cornerRadius: rounded(t, 24) }),
      ellipse('Toggle knob', 20, 4, 16, { fill: t.onPrimary }),
      label('Toggle label', text, 48, 0, width - 48, {
        fontSize: t.fontSizes.body,
        color: t.text,
        boxHeight: 24,
      }),
    ],
    o,
  )
}

export function badge(o: BuildOptions): Component {
  const t = o.theme
  const text = labelAt(o, 0, 'New')
  const width = snapUp(textWidth(text, t.fontSizes.small) + 16)
  return bare(
    'badge',
    `${text} badge`,
    width,
    24,
    [
      rect('Badge', 0, 0, width, 24, { fill: t.primary, cornerRadius: rounded(t, 24) }),
      label('Badge label', text, 0, 0, width, {
        fontSize: t.fontSizes.small,
        color: t.onPrimary,
        align: 'center',
        boxHeight: 24,
      }),
    ],
    o,
  )
}

export function avatar(o: BuildOptions): Component {
  const t = o.theme
  const name = labelAt(o, 0, 'Ada Lovelace')
  const size = snapUp(48 * scale(o.size))
  const initials = name
    .split(/\s+/)
    .map((w) => w[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase()
  const fontSize = Math.max(12, Math.floor(size / 3))
  const mark =
    t.radius > 0
      ? ellipse
      : (n: string, x: number, y: number, s: number, st: Partial<Draft>) => rect(n, x, y, s, s, st)
  return bare(
    'avatar',
    `${name} avatar`,
    size,
    size,
    [
      mark('Avatar', 0, 0, size, { fill: t.primary }),
      label('Avatar initials', initials, 0, 0, size, {
        fontSize,
        color: t.onPrimary,
        align: 'center',
        boxHeight: size,
      }),
    ],
    o,
  )
}

export function imagePlaceholder(o: BuildOptions): Component {
  const t = o.theme
  const width = snapUp(320 * scale(o.size))
  const height = snapUp(width * 0.625)
  return frame(
    'image-placeholder',
    'Image placeholder',
    width,
    height,
    [
      rect('Image area', 0, 0, width, height, { fill: t.surface, stroke: t.border, strokeWidth: 1 }),
      {
        type: 'line',
        name: 'Image cross 1',
        x: 0,
        y: 0,
        width,
        height,
        points: [0, 0, width, height],
        stroke: t.border,
        strokeWidth: 1,
      },
      {
        type: 'line',
        name: 'Image cross 2',
        x: 0,
        y: 0,
        width,
        height,
        points: [0, height, width, 0],
        stroke: t.border,
        strokeWidth: 1,
      },
      label('Image caption', labelAt(o, 0, 'Image'), 0, height - 32, width, {
        fontSize: t.fontSizes.small,
        color: t.muted,
        align: 'center',
      }),
    ],
    o.theme,
  )
}

export function chartPlaceholder(o: BuildOptions): Component {
  const t = o.theme
  const bars = clampCount(o.count, 6)
  const width = snapUp(Math.max(320 * scale(o.size), bars * 40 + 48))
  const height = snapUp(240 * scale(o.size))
  const title = labelAt(o, 0, 'Chart')
  const plotTop = 56
  const plotHeight = height - plotTop - 24
  const slot = Math.floor((width - 48) / bars)
  const parts: Draft[] = [
    label('Chart title', title, 24, 16, width - 48, { fontSize: t.fontSizes.body, color: t.text }),
  ]
  for (let i = 0; i < bars; i++) {
    // Deterministic heights that read as data: a gentle wave, never zero.
    const share = 0.35 + 0.6 * Math.abs(Math.sin((i + 1) * 1.3))
    const h = Math.max(8, Math.floor((plotHeight * share) / 8) * 8)
    parts.push(
      rect(`Bar ${i + 1}`, 24 + i * slot + 4, plotTop + plotHeight - h, Math.max(8, slot - 8), h, {
        fill: t.primary,
      }),
    )
  }
  parts.push({
    type: 'line',
    name: 'Chart axis',
    x: 24,
    y: plotTop + plotHeight + 4,
    width: width - 48,
    height: 0,
    points: [0, 0, width - 48, 0],
    stroke: t.border,
    strokeWidth: 1,
  })
  return frame('chart-placeholder', `${title} chart`, width, height, parts, t, t.surface)
}

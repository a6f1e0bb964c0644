import { clampCount, labelAt, MAX_COLUMNS, scale, type BuildOptions } from './buildOptions.js'
import {
  buttonParts,
  frame,
  hline,
  label,
  lineHeight,
  rect,
  snapUp,
  textWidth,
  type Component,
  type Draft,
} from './draft.js'

/** Page-sized components: bars, sections, tables, device frames. */

const PAD = 24

export function navigationBar(o: BuildOptions): Component {
  const t = o.theme
  const links = clampCount(o.count, 4, 5)
  // Logo, the links, the button: never narrower than they need.
  const width = snapUp(Math.max(960 * scale(o.size), PAD * 2 + 176 + links * 112 + 8 + 120))
  const height = 64
  const parts: Draft[] = [
    label('Logo', labelAt(o, 0, 'Brand'), PAD, 0, 160, {
      fontSize: t.fontSizes.title,
      color: t.primary,
      boxHeight: height,
    }),
  ]
  const linkWidth = 112
  const right = width - PAD - 120
  for (let i = 0; i < links; i++) {
    const x = right - (links - i) * linkWidth - 8
    parts.push(
      label(
        `Link ${i + 1}`,
        labelAt(o, i + 1, ['Home', 'Product', 'Pricing', 'About', 'Blog', 'Contact'][i] ?? `Link ${i + 1}`),
        x,
        0,
        linkWidth - 8,
        { fontSize: t.fontSizes.body, color: t.text, align: 'center', boxHeight: height },
      ),
    )
  }
  parts.push(...buttonParts('Nav action', 'Get started', width - PAD - 120, 12, 120, 40, t))
  return frame('navigation-bar', 'Navigation bar', width, height, parts, t, t.surface)
}

export function heroSection(o: BuildOptions): Component {
  const t = o.theme
  const width = snapUp(960 * scale(o.size))
  const inner = width - PAD * 4
  const parts: Draft[] = []
  let y = 80
  const headline = labelAt(o, 0, 'Design together, in real time')
  const headlineSize =
    textWidth(headline, t.fontSizes.display) <= inner ? t.fontSizes.display : t.fontSizes.title
  parts.push(
    label('Headline', headline, PAD * 2, y, inner, {
      fontSize: headlineSize,
      color: t.text,
      align: 'center',
    }),
  )
  y += snapUp(lineHeight(headlineSize)) + 16
  parts.push(
    label('Subheadline', labelAt(o, 1, 'Everyone on one canvas, every change saved.'), PAD * 2, y, inner, {
      fontSize: t.fontSizes.body,
      color: t.muted,
      align: 'center',
    }),
  )
  y += snapUp(lineHeight(t.fontSizes.body)) + 32
  const bw = 160
  parts.push(
    ...buttonParts('Primary call to action', labelAt(o, 2, 'Get started'), width / 2 - bw - 8, y, bw, 48, t),
  )
  parts.push(
    ...buttonParts(
      'Secondary call to action',
      labelAt(o, 3, 'Learn more'),
      width / 2 + 8,
      y,
      bw,
      48,
      t,
      false,
    ),
  )
  return frame('hero-section', 'Hero section', width, y + 48 + 80, parts, t)
}

export function pricingTable(o: BuildOptions): Component {
  const t = o.theme
  const tiers = clampCount(o.count, 3, 5)
  const names = ['Free', 'Pro', 'Team', 'Business', 'Enterprise']
  const prices = ['$0', '$12', '$29', '$79', 'Custom']
  const colWidth = 240
  const gap = 24
  const width = PAD * 2 + tiers * colWidth + (tiers - 1) * gap
  const features = ['Unlimited canvases', 'Real-time editing', 'Version history']
  const parts: Draft[] = []
  const top = PAD
  const tierHeight = 344
  for (let i = 0; i < tiers; i++) {
    const x = PAD + i * (colWidth + gap)
    const highlighted = i === Math.floor(tiers / 2)
    parts.push(
      rect(`Tier ${i + 1}`, x, top, colWidth, tierHeight, {
        fill: t.surface,
        stroke: highlighted ? t.primary : t.border,
        strokeWidth: highlighted ? 2 : 1,
      }),
    )
    let y = top + PAD
    parts.push(
      label(
        `Tier ${i + 1} name`,
        labelAt(o, i, names[i] ?? `Tier ${i + 1}`),
        x + PAD,
        y,
        colWidth - PAD * 2,
        { fontSize: t.fontSizes.body, color: t.muted },
      ),
    )
    y += 32
    parts.push(
      label(`Tier ${i + 1} price`, prices[i] ?? '$—', x + PAD, y, colWidth - PAD * 2, {
        fontSize: t.fontSizes.display,
        color: t.text,
      }),
    )
    y += snapUp(lineHeight(t.fontSizes.display)) + 16
    for (const [j, feature] of features.entries()) {
      parts.push(
        label(`Tier ${i + 1} feature ${j + 1}`, `✓ ${feature}`, x + PAD, y, colWidth - PAD * 2, {
          fontSize: t.fontSizes.small,
          color: t.text,
        }),
      )
      y += 24
    }
    parts.push(
      ...buttonParts(
        `Tier ${i + 1} choose`,
        'Choose',
        x + PAD,
        top + tierHeight - PAD - 40,
        colWidth - PAD * 2,
        40,
        t,
        highlighted,
      ),
    )
  }
  return frame('pricing-table', 'Pricing table', width, top + tierHeight + PAD, parts, t)
}

export function dataTable(o: BuildOptions): Component {
  const t = o.theme
  const rows = clampCount(o.count, 4)
  const columns = clampCount(o.columns, 3, MAX_COLUMNS)
  const colWidth = 160
  const rowHeight = 40
  const width = columns * colWidth
  const parts: Draft[] = [rect('Header row', 0, 0, width, rowHeight, { fill: t.surface })]
  const headers = ['Name', 'Status', 'Owner', 'Updated', 'Size', 'Type', 'Tags', 'Notes']
  for (let c = 0; c < columns; c++) {
    parts.push(
      label(
        `Header ${c + 1}`,
        labelAt(o, c, headers[c] ?? `Column ${c + 1}`),
        c * colWidth + 12,
        0,
        colWidth - 24,
        { fontSize: t.fontSizes.small, color: t.muted, boxHeight: rowHeight },
      ),
    )
  }
  for (let r = 0; r < rows; r++) {
    const y = (r + 1) * rowHeight
    parts.push(hline(`Row ${r + 1} rule`, 0, y, width, t.border))
    for (let c = 0; c < columns; c++) {
      parts.push(
        label(
          `Cell ${r + 1}.${c + 1}`,
          `Row ${r + 1}, ${headers[c] ?? `col ${c + 1}`}`,
          c * colWidth + 12,
          y,
          colWidth - 24,
          { fontSize: t.fontSizes.small, color: t.text, boxHeight: rowHeight },
        ),
      )
    }
  }
  return frame('data-table', 'Data table', width, (rows + 1) * rowHeight, parts, t)
}

export function sidebar(o: BuildOptions): Component {
  const t = o.theme
  const items = clampCount(o.count, 5)
  const width = 240
  const parts: Draft[] = [
    label('Sidebar title', labelAt(o, 0, 'Workspace'), PAD, PAD, width - PAD * 2, {
      fontSize: t.fontSizes.title,
      color: t.text,
    }),
  ]
  const defaults = ['Dashboard', 'Projects', 'Team', 'Reports', 'Settings', 'Help']
  let y = PAD + snapUp(lineHeight(t.fontSizes.title)) + 16
  for (let i = 0; i < items; i++) {
    if (i === 0) parts.push(rect('Active item', 8, y, width - 16, 40, { fill: t.surface }))
    parts.push(
      label(
        `Sidebar item ${i + 1}`,
        labelAt(o, i + 1, defaults[i] ?? `Item ${i + 1}`),
        PAD,
        y,
        width - PAD * 2,
        { fontSize: t.fontSizes.body, color: i === 0 ? t.primary : t.text, boxHeight: 40 },
      ),
    )
    y += 48
  }
  return frame('sidebar', 'Sidebar', width, Math.max(480, y + PAD), parts, t)
}

export function footer(o: BuildOptions): Component {
  const t = o.theme
  const width = snapUp(960 * scale(o.size))
  const columns = clampCount(o.count, 3, 4)
  const groups = [
    ['Product', 'Features', 'Pricing'],
    ['Company', 'About', 'Careers'],
    ['Resources', 'Docs', 'Blog'],
    ['Legal', 'Privacy', 'Terms'],
  ]
  const colWidth = 176
  const parts: Draft[] = []
  for (let c = 0; c < columns; c++) {
    const [head, ...links] = groups[c] ?? ['More']
    const x = PAD + c * colWidth
    parts.push(
      label(`Footer heading ${c + 1}`, head ?? 'More', x, PAD, colWidth - 16, {
        fontSize: t.fontSizes.body,
        color: t.text,
      }),
    )
    links.forEach((link, i) =>
      parts.push(
        label(`Footer link ${c + 1}.${i + 1}`, link, x, PAD + 32 + i * 24, colWidth - 16, {
          fontSize: t.fontSizes.small,
          color: t.muted,
        }),
      ),
    )
  }
  parts.push(hline('Footer rule', PAD, 128, width - PAD * 2, t.border))
  parts.push(
    label('Copyright', labelAt(o, 0, '© 2026 CollabCanvas'), PAD, 144, width - PAD * 2, {
      fontSize: t.fontSizes.small,
      color: t.muted,
    }),
  )
  return frame('footer', 'Footer', width, 184, parts, t, t.surface)
}

export function tabs(o: BuildOptions): Component {
  const t = o.theme
  const count = clampCount(o.count ?? (o.labels.length || undefined), 3, 8)
  const tabWidth = 136
  const width = count * tabWidth
  const parts: Draft[] = []
  for (let i = 0; i < count; i++) {
    parts.push(
      label(`Tab ${i + 1}`, labelAt(o, i, `Tab ${i + 1}`), i * tabWidth + 8, 0, tabWidth - 16, {
        fontSize: t.fontSizes.body,
        color: i === 0 ? t.primary : t.muted,
        align: 'center',
        boxHeight: 40,
      }),
    )
  }
  parts.push(rect('Active tab marker', 8, 40, tabWidth - 16, 4, { fill: t.primary }))
  parts.push(hline('Tabs rule', 0, 48, width, t.border))
  return frame('tabs', 'Tabs', width, 56, parts, t)
}

function device(
  kind: string,
  name: string,
  width: number,
  height: number,
  bar: number,
  o: BuildOptions,
): Component {
  const t = o.theme
  const parts: Draft[] = [
    rect(`${name} bar`, 0, 0, width, bar, { fill: t.surface }),
    label(`${name} title`, labelAt(o, 0, name), 16, 0, width - 32, {
      fontSize: t.fontSizes.small,
      color: t.muted,
      align: 'center',
      boxHeight: bar,
    }),
  ]
  return frame(kind, name, width, height, parts, t)
}

export function phoneFrame(o: BuildOptions): Component {
  return device('phone-frame', 'Phone', 392, 848, 48, o)
}

export function desktopFrame(o: BuildOptions): Component {
  return device('desktop-frame', 'Desktop', 1440, 904, 40, o)
}

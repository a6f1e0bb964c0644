/**
 * Named palettes every component builder draws from (docs/ai.md "Themes"). A builder never
 * picks a colour of its own: it asks the theme for a role (surface, primary, text…), so "in dark
 * theme" or "make it blue" changes every part consistently.
 */
export interface Theme {
  name: string
  /** The page or frame behind everything. */
  background: string
  /** Cards, inputs, panels on the background. */
  surface: string
  /** Buttons, active tabs, links, chart bars. */
  primary: string
  /** Text drawn on `primary`. */
  onPrimary: string
  text: string
  /** Placeholders, captions, secondary text. */
  muted: string
  border: string
  /**
   * Corner rounding the design asks for: rects get it as `cornerRadius` (buttons, fields, badges),
   * and it chooses round (ellipse) or square marks for avatars and checkboxes.
   */
  radius: number
  fontSizes: { small: number; body: number; title: number; display: number }
}

const FONT_SIZES = { small: 12, body: 16, title: 24, display: 40 } as const

const light: Theme = {
  name: 'light',
  background: '#ffffff',
  surface: '#f6f7f9',
  primary: '#3b5bdb',
  onPrimary: '#ffffff',
  text: '#1c2024',
  muted: '#6b7280',
  border: '#d0d5dd',
  radius: 8,
  fontSizes: FONT_SIZES,
}

export const THEMES: Readonly<Record<string, Theme>> = {
  light,
  dark: {
    name: 'dark',
    background: '#111318',
    surface: '#1e2129',
    primary: '#7c9cff',
    onPrimary: '#0b0d12',
    text: '#eceef2',
    muted: '#9aa1ad',
    border: '#3a3f4b',
    radius: 8,
    fontSizes: FONT_SIZES,
  },
  ocean: { ...light, name: 'ocean', primary: '#0b7285', surface: '#e3fafc', border: '#99e9f2' },
  forest: { ...light, name: 'forest', primary: '#2b8a3e', surface: '#ebfbee', border: '#b2f2bb' },
  sunset: { ...light, name: 'sunset', primary: '#e8590c', surface: '#fff4e6', border: '#ffd8a8' },
  grape: { ...light, name: 'grape', primary: '#862e9c', surface: '#f8f0fc', border: '#eebefa' },
  mono: {
    ...light,
    name: 'mono',
    primary: '#111111',
    surface: '#f1f1f1',
    border: '#111111',
    muted: '#555555',
    radius: 0,
  },
}

export const THEME_NAMES = Object.keys(THEMES)

export const DEFAULT_THEME = light

export function themeNamed(name: string | undefined): Theme {
  return (name !== undefined ? THEMES[name] : undefined) ?? DEFAULT_THEME
}

/** The theme with its primary colour replaced ("make it blue"); text on it stays readable. */
export function withPrimary(theme: Theme, primary: string): Theme {
  return { ...theme, primary, onPrimary: isLight(primary) ? '#111111' : '#ffffff' }
}

/** Whether a #rrggbb colour is light enough that dark text reads better on it (WCAG luminance). */
export function isLight(hex: string): boolean {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return false
  const [r, g, b] = [m[1], m[2], m[3]].map((c) => {
    const v = parseInt(c as string, 16) / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4
}

/**
 * Light or dark: the user's choice, kept in localStorage; without one, the system's
 * (prefers-color-scheme). Applied as `data-theme` on <html>, which switches the CSS variables of
 * the app's chrome (comfort.css) and the canvas's own colours (canvasColors). Shapes keep theirs.
 */

export type Theme = 'light' | 'dark'

export const THEME_STORAGE_KEY = 'collabcanvas-theme'

/** The stored choice when it is one, else the system's. */
export function resolveTheme(stored: string | null | undefined, systemPrefersDark: boolean): Theme {
  if (stored === 'light' || stored === 'dark') return stored
  return systemPrefersDark ? 'dark' : 'light'
}

/** What the canvas draws itself (selection, marquee, handles); the background and grid are CSS. */
export interface CanvasColors {
  accent: string
  marqueeFill: string
  anchorFill: string
}

export const CANVAS_COLORS: Readonly<Record<Theme, CanvasColors>> = {
  light: { accent: '#3e63dd', marqueeFill: 'rgba(62, 99, 221, 0.08)', anchorFill: '#ffffff' },
  dark: { accent: '#849dff', marqueeFill: 'rgba(132, 157, 255, 0.14)', anchorFill: '#18191b' },
}

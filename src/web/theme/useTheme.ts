import { useCallback, useEffect, useState } from 'react'
import { resolveTheme, THEME_STORAGE_KEY, type Theme } from './theme.js'

const DARK_QUERY = '(prefers-color-scheme: dark)'

function storedTheme(): string | null {
  try {
    return localStorage.getItem(THEME_STORAGE_KEY)
  } catch {
    return null // storage blocked (privacy mode): the system's theme serves
  }
}

/** The theme for this page now, from storage and the system; used before the first render too. */
export function currentTheme(): Theme {
  return resolveTheme(storedTheme(), window.matchMedia(DARK_QUERY).matches)
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme
}

/**
 * The theme and a toggle that remembers the choice. With no choice stored the page follows the
 * system's setting as it changes.
 */
export function useTheme(): { theme: Theme; toggle: () => void } {
  const [theme, setTheme] = useState<Theme>(currentTheme)

  useEffect(() => applyTheme(theme), [theme])

  useEffect(() => {
    const query = window.matchMedia(DARK_QUERY)
    const onChange = () => setTheme(currentTheme())
    query.addEventListener('change', onChange)
    return () => query.removeEventListener('change', onChange)
  }, [])

  const toggle = useCallback(() => {
    setTheme((t) => {
      const next: Theme = t === 'dark' ? 'light' : 'dark'
      try {
        localStorage.setItem(THEME_STORAGE_KEY, next)
      } catch {
        // not remembered, still applied
      }
      return next
    })
  }, [])

  return { theme, toggle }
}

import type { Theme } from '../themes/themes.js'

export const SIZES = ['small', 'medium', 'large'] as const
export type Size = (typeof SIZES)[number]

/** What every builder takes; each uses what applies to it and documents its defaults. */
export interface BuildOptions {
  theme: Theme
  /** Texts in order: a button's label, a form's title, tab names, list items, column headers… */
  labels: readonly string[]
  /** Rows, items, tiers, tabs: how many of the repeated part. */
  count?: number
  /** Columns of a table. */
  columns?: number
  size: Size
}

/** Limits on counts, so one command cannot make a component too large to read or store. */
export const MAX_COUNT = 12
export const MAX_COLUMNS = 8

export const clampCount = (n: number | undefined, fallback: number, max = MAX_COUNT): number =>
  Math.max(1, Math.min(max, Math.floor(n ?? fallback)))

/** The i-th label, or the fallback when the user named fewer. */
export const labelAt = (options: BuildOptions, i: number, fallback: string): string => {
  const given = options.labels[i]?.trim()
  return given === undefined || given === '' ? fallback : given
}

export const scale = (size: Size): number => (size === 'small' ? 0.75 : size === 'large' ? 1.5 : 1)

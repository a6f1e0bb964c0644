/**
 * Event types: dotted names such as `form.answered` or `canvas.object.created`. A webhook filter
 * entry is a type, or a prefix ending in `.*` (`canvas.*`); an empty filter takes every type.
 */
export const EVENT_TYPE_MAX_LENGTH = 128
export const EVENT_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]*$'
export const EVENT_FILTER_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]*(\\.\\*)?$|^\\*$'

export function matchesEventType(filter: readonly string[], type: string): boolean {
  if (filter.length === 0) return true
  return filter.some((entry) => {
    if (entry === '*') return true
    if (entry.endsWith('.*')) return type.startsWith(entry.slice(0, -1))
    return entry === type
  })
}

/** The server's bound on a canvas name (VisibleText(200) in canvasRoutes.ts), told before sending. */
export const CANVAS_NAME_MAX_LENGTH = 200

/**
 * Why a canvas name cannot be saved, in plain words, or undefined when it can. A long name is
 * refused with its length, never cut silently (an `<input maxLength>` drops a paste's tail) [ED-D5].
 */
export function canvasNameProblem(name: string): string | undefined {
  const trimmed = name.trim()
  if (trimmed === '') return 'Enter a name.'
  if (trimmed.length > CANVAS_NAME_MAX_LENGTH)
    return `A name holds at most ${CANVAS_NAME_MAX_LENGTH} characters; this one has ${trimmed.length.toLocaleString('en-US')}. Shorten it to save.`
  return undefined
}

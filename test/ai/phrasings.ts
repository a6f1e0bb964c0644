import data from './phrasings.json' with { type: 'json' }

/**
 * The planner's phrasing set (phrasings.json): commands as people type them (synonyms, typos,
 * counts, colours, themes, quoted labels, positions, edits) and the first step each must give.
 * The planner test checks them; `npm run bench:ai` times them through the HTTP endpoint.
 */
export const PHRASINGS = data.phrasings as unknown as readonly [string, Record<string, unknown>][]

/** Commands the planner must not pretend to understand. */
export const NONSENSE: readonly string[] = data.nonsense

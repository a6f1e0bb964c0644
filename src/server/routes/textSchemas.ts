import { Type } from 'typebox'

// Names are shown to other people, so they must be plain visible text [I2]:
// - never C0/C1 controls, DEL, line or paragraph separators, nor the bidirectional embeddings,
//   overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make text read in another order
//   than it is stored ("Trojan Source");
// - at least one character that draws something: not whitespace, not a format character
//   (zero-width spaces and joiners, BOM, soft hyphen), not a combining mark on its own, not a
//   Hangul filler or the blank Braille pattern, which render as nothing.
// Lone surrogates are refused for every string of every body by the preValidation hook
// (plugins/wellFormedStrings.ts). Ajv compiles patterns with the `u` flag, so \p{…} works.
const FORBIDDEN = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069'
const INVISIBLE = '\\s\\p{Cf}\\p{M}\\u115f\\u1160\\u3164\\uffa0\\u2800'
export const VISIBLE_TEXT = `^[^${FORBIDDEN}]*[^${FORBIDDEN}${INVISIBLE}][^${FORBIDDEN}]*$`

export const VisibleText = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: VISIBLE_TEXT })

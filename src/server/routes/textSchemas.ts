import { Type } from 'typebox'

// Something visible and no control characters: names are shown to other people. `\S` alone
// would accept a control character as the visible one.
const VISIBLE_TEXT = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'

export const VisibleText = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: VISIBLE_TEXT })

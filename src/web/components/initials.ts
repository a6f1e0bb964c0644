/** User-perceived characters: an emoji (even a family or a flag) is one, never half a surrogate pair. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
const firstGraphemes = (word: string, count: number): string =>
  [...graphemes.segment(word)]
    .slice(0, count)
    .map((s) => s.segment)
    .join('')

export function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const first = words[0] ?? '?'
  const second = words[1]
  return (
    second ? firstGraphemes(first, 1) + firstGraphemes(second, 1) : firstGraphemes(first, 2)
  ).toUpperCase()
}

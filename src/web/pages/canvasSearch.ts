/**
 * The canvas list's search [LIST4]: every word typed must appear in the name, ignoring case,
 * accents and width (NFKD folding), in any order. An empty query keeps every canvas.
 */
export function matchesSearch(name: string, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean)
  if (words.length === 0) return true
  const folded = fold(name)
  return words.every((w) => folded.includes(w))
}

function fold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase()
}

/**
 * Typo tolerance: a word not in the vocabulary is replaced by the one vocabulary word within a
 * small edit distance (an adjacent swap counts as one edit: "buttno", "lgoin"). Ties keep the
 * word as typed, so a guess never picks between two meanings.
 */
export function correctWord(
  word: string,
  vocabulary: ReadonlySet<string>,
  byLength: ReadonlyMap<number, readonly string[]>,
): string {
  if (word.length < 4 || vocabulary.has(word) || /\d/.test(word)) return word
  // Four letters are too few to guess from: only a swap of neighbours ("mkae") is corrected.
  const budget = word.length >= 7 ? 2 : 1
  const swapOnly = word.length === 4
  let best: string | undefined
  let bestDistance = budget + 1
  let tie = false
  for (let len = word.length - budget; len <= word.length + budget; len++) {
    for (const candidate of byLength.get(len) ?? []) {
      const d = distance(word, candidate, budget + 1)
      if (d > budget || (swapOnly && !isSwap(word, candidate))) continue
      // Equally near: a candidate with the same first letter wins ("arange": arrange, not orange).
      const better =
        d < bestDistance ||
        (d === bestDistance && best !== undefined && best[0] !== word[0] && candidate[0] === word[0])
      if (better) {
        best = candidate
        bestDistance = d
        tie = false
      } else if (d === bestDistance && candidate !== best) {
        tie = true
      }
    }
  }
  return best !== undefined && !tie ? best : word
}

function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]))
  return (
    diff.length === 2 &&
    diff[1] === (diff[0] as number) + 1 &&
    a[diff[0] as number] === b[diff[1]] &&
    a[diff[1]] === b[diff[0] as number]
  )
}

export function indexByLength(words: Iterable<string>): Map<number, string[]> {
  const map = new Map<number, string[]>()
  for (const w of words) {
    const list = map.get(w.length)
    if (list) list.push(w)
    else map.set(w.length, [w])
  }
  return map
}

/** Optimal string alignment distance, giving up (returning `cap`) once it cannot be below `cap`. */
export function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    const row = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j)
        continue
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(
        (rows[i - 1] as number[])[j]! + 1,
        row[j - 1]! + 1,
        (rows[i - 1] as number[])[j - 1]! + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (rows[i - 2] as number[])[j - 2]! + 1)
      }
      row.push(v)
      rowMin = Math.min(rowMin, v)
    }
    if (i > 0 && rowMin >= cap) return cap
    rows.push(row)
  }
  return Math.min(cap, (rows[a.length] as number[])[b.length]!)
}

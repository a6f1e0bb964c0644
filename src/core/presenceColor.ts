/** Stable, distinguishable colours: the same user gets the same colour on every instance. */
const PRESENCE_COLORS = [
  '#E5484D',
  '#F76B15',
  '#FFC53D',
  '#46A758',
  '#12A594',
  '#0090FF',
  '#3E63DD',
  '#8E4EC6',
  '#D6409F',
  '#AD7F58',
  '#00A2C7',
  '#6E56CF',
] as const

export function presenceColor(userId: string): string {
  // FNV-1a: cheap, deterministic, spreads similar ids apart.
  let h = 0x811c9dc5
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return PRESENCE_COLORS[(h >>> 0) % PRESENCE_COLORS.length] ?? PRESENCE_COLORS[0]
}

/**
 * Counts over the last minute in one-second slots: the ingest and delivery rates of the stats.
 * Per instance (in memory); the stats say so.
 */
export class RateMeter {
  private readonly slots = new Float64Array(60)
  private readonly slotSecond = new Float64Array(60)

  constructor(private readonly now: () => number) {}

  add(n = 1): void {
    const second = Math.floor(this.now() / 1000)
    const i = second % 60
    if (this.slotSecond[i] !== second) {
      this.slotSecond[i] = second
      this.slots[i] = 0
    }
    this.slots[i] = (this.slots[i] ?? 0) + n
  }

  /** How many in the last 60 seconds. */
  lastMinute(): number {
    const second = Math.floor(this.now() / 1000)
    let total = 0
    for (let i = 0; i < 60; i++) {
      if (second - (this.slotSecond[i] ?? 0) < 60) total += this.slots[i] ?? 0
    }
    return total
  }
}

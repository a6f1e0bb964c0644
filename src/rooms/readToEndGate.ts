/**
 * When a room reads its canvas's log to the end for operations that name objects it does not
 * know [ROOM28]. Another instance may have committed the create and its doorbell not rung here
 * yet, so such an op is refused as not_found only after a read that started after it arrived.
 *
 * A client controls how many such ops it sends, so reads are bounded: one at a time, at most one
 * start per `minGapMs`, each shared by every submission that arrived before it started. Only the
 * submitter waits: its later submissions are decided behind the waiting one, in arrival order;
 * everyone else's go on at once.
 */
export class ReadToEndGate {
  /** Reads scheduled so far; a read's index is its place in that count. */
  private scheduled = 0
  /** The index of the last read that completed (reads complete in index order). */
  private completed = 0
  /** The last read scheduled, while it waits or runs. */
  private next: Promise<void> | undefined
  private lastStartAt = -Infinity
  /** userId → that user's submissions waiting behind one that waits for a read. */
  private readonly waiting = new Map<string, (() => void)[]>()

  constructor(
    /** Reads the log to its end and applies it; never rejects. */
    private readonly read: () => Promise<void>,
    private readonly minGapMs: number,
    private readonly now: () => number,
  ) {}

  /** Taken when a submission arrives: only reads scheduled after it count for it. */
  mark(): number {
    return this.scheduled
  }

  /** True once a read scheduled after `mark` has completed: a not_found is then final. */
  readSince(mark: number): boolean {
    return this.completed > mark
  }

  /** Runs `decide` now, or after the user's submissions that wait for a read. */
  inOrder<T>(userId: string, decide: () => Promise<T>): Promise<T> {
    const queue = this.waiting.get(userId)
    if (queue === undefined) return decide()
    return new Promise<T>((resolve) => queue.push(() => resolve(decide())))
  }

  /**
   * Waits for a read scheduled after `mark`, then runs `decide`; the user's submissions that
   * arrive meanwhile are decided after it, in order.
   */
  afterRead<T>(userId: string, mark: number, decide: () => Promise<T>): Promise<T> {
    const queue: (() => void)[] = []
    this.waiting.set(userId, queue)
    return this.readAfter(mark).then(() => {
      const outcome = decide()
      this.release(userId, queue)
      return outcome
    })
  }

  /** The read scheduled or running, for a room that closes. */
  get pending(): Promise<void> | undefined {
    return this.next
  }

  private readAfter(mark: number): Promise<void> {
    if (this.next !== undefined && this.scheduled > mark) return this.next
    const previous = this.next
    const index = ++this.scheduled
    const run = this.runAfter(previous, index)
    this.next = run
    void run.then(() => {
      if (this.next === run) this.next = undefined
    })
    return run
  }

  private async runAfter(previous: Promise<void> | undefined, index: number): Promise<void> {
    await previous
    const wait = this.lastStartAt + this.minGapMs - this.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    this.lastStartAt = this.now()
    await this.read()
    this.completed = index
  }

  private release(userId: string, queue: (() => void)[]): void {
    if (this.waiting.get(userId) === queue) this.waiting.delete(userId)
    for (const [i, decide] of queue.entries()) {
      decide()
      // That submission waits for a read in turn: the rest wait behind it.
      const again = this.waiting.get(userId)
      if (again !== undefined) {
        again.push(...queue.slice(i + 1))
        return
      }
    }
  }
}

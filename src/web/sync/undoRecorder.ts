import { addToStep, UndoHistory, type UndoEntry } from './undoHistory.js'

/**
 * Groups edits into undo steps (SYNC13) over an UndoHistory: an edit outside any step is a step
 * of its own; begin()…end() (nestable: a drag, a transaction inside it) collect one step that
 * the outermost end() closes. Undo and redo inside an open step first close what it holds so
 * far. Replaying a step's inverses is the engine's, which sends them as ordinary ops.
 */
export class UndoRecorder {
  private readonly history: UndoHistory
  /** The step being collected, and how deep the nesting is. */
  private openStep: UndoEntry[] | undefined
  private depth = 0

  constructor(limit?: number) {
    this.history = new UndoHistory(limit)
  }

  get canUndo(): boolean {
    return this.history.canUndo
  }

  get canRedo(): boolean {
    return this.history.canRedo
  }

  /** The undo entry of one edit: into the open step, or a step of its own [SYNC10]. */
  record(entry: UndoEntry): void {
    if (this.openStep !== undefined) addToStep(this.openStep, entry)
    else this.history.pushEdit([entry])
  }

  begin(): void {
    if (this.depth++ === 0) this.openStep = []
  }

  /** Returns whether a step was closed (the history changed). */
  end(): boolean {
    if (this.depth === 0) return false
    this.depth--
    if (this.depth > 0) return false
    const step = this.openStep
    this.openStep = undefined
    if (step === undefined || step.length === 0) return false
    this.history.pushEdit(step)
    return true
  }

  /** The latest step to undo; the caller replays its inverses and hands back what they made. */
  takeUndo(): UndoEntry[] | undefined {
    this.flushOpenStep()
    return this.history.popUndo()
  }

  takeRedo(): UndoEntry[] | undefined {
    this.flushOpenStep()
    return this.history.popRedo()
  }

  /** What an undo made: redo makes it again. */
  undone(step: readonly UndoEntry[]): void {
    this.history.pushUndone(step)
  }

  /** What a redo made: undo takes it back. */
  redone(step: readonly UndoEntry[]): void {
    this.history.pushRedone(step)
  }

  /** A refused op never happened [SYNC7]. */
  forget(opId: string): void {
    this.history.forget(opId)
  }

  /** Undo inside an open step: what the step holds so far becomes a step of its own. */
  private flushOpenStep(): void {
    if (this.openStep === undefined || this.openStep.length === 0) return
    this.history.pushEdit(this.openStep)
    this.openStep = []
  }
}

import { ALIGNMENTS, DISTRIBUTIONS, MIN_UNITS, type Alignment, type Distribution } from './alignDistribute.js'

interface Props {
  /** How many things move independently (loose shapes and whole groups). */
  units: number
  onAlign: (how: Alignment) => void
  onDistribute: (how: Distribution) => void
}

const ALIGN_TEXT: Record<Alignment, [string, string]> = {
  left: ['⇤', 'Align left'],
  center: ['↔', 'Align centre'],
  right: ['⇥', 'Align right'],
  top: ['⤒', 'Align top'],
  middle: ['↕', 'Align middle'],
  bottom: ['⤓', 'Align bottom'],
}
const DISTRIBUTE_TEXT: Record<Distribution, string> = {
  horizontal: 'Distribute horizontally',
  vertical: 'Distribute vertically',
}

/** Align and distribute in the style panel [ED-S1]: two or more things to align, three to distribute. */
export function AlignSection({ units, onAlign, onDistribute }: Props) {
  if (units < MIN_UNITS.align) return null
  return (
    <>
      <h3 className="section-title">Align</h3>
      <div className="align-grid" role="group" aria-label="Align">
        {ALIGNMENTS.map((how) => (
          <button
            key={how}
            type="button"
            className="button small"
            aria-label={ALIGN_TEXT[how][1]}
            title={ALIGN_TEXT[how][1]}
            onClick={() => onAlign(how)}
          >
            {ALIGN_TEXT[how][0]}
          </button>
        ))}
      </div>
      <div className="button-grid">
        {DISTRIBUTIONS.map((how) => (
          <button
            key={how}
            type="button"
            className="button small"
            disabled={units < MIN_UNITS.distribute}
            title={units < MIN_UNITS.distribute ? 'Select three or more to distribute' : DISTRIBUTE_TEXT[how]}
            onClick={() => onDistribute(how)}
          >
            {DISTRIBUTE_TEXT[how]}
          </button>
        ))}
      </div>
    </>
  )
}

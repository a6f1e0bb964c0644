import type { ShapesStep } from '../planner/plan.js'
import type { Theme } from '../themes/themes.js'
import { fitLabel, lineHeight, snapUp, textWidth, type Component, type Draft } from './draft.js'

const CELL = { small: 48, medium: 64, large: 96 } as const
const GAP = 24

/** Plain shapes in rows and columns ("a 3x3 grid of red circles"), under an invisible frame. */
export function shapeGrid(step: ShapesStep, theme: Theme): Component {
  const side = CELL[step.size]
  const fontSize = step.size === 'small' ? 16 : step.size === 'large' ? 40 : 24
  const text = step.text ?? 'Text'
  const [width, height] =
    step.shape === 'text'
      ? [snapUp(Math.min(960, textWidth(text, fontSize))), snapUp(lineHeight(fontSize))]
      : step.shape === 'line'
        ? [side * 2, 0]
        : [step.square ? side : Math.round(side * 1.5), side]
  const color = step.color ?? (step.shape === 'text' ? theme.text : theme.primary)
  const parts: Draft[] = []
  for (let r = 0; r < step.rows; r++) {
    for (let c = 0; c < step.columns; c++) {
      const x = c * (width + GAP)
      const y = r * (Math.max(height, 8) + GAP)
      const name = `${step.shape === 'rect' ? (step.square ? 'Square' : 'Rectangle') : step.shape === 'ellipse' ? (step.square ? 'Circle' : 'Ellipse') : step.shape === 'text' ? 'Text' : 'Line'} ${r * step.columns + c + 1}`
      if (step.shape === 'text') {
        parts.push({
          type: 'text',
          name,
          x,
          y,
          width,
          height,
          text: fitLabel(text, fontSize, width),
          fontSize,
          fill: color,
          align: 'left',
        })
      } else if (step.shape === 'line') {
        parts.push({
          type: 'line',
          name,
          x,
          y: y + 4,
          width,
          height: 0,
          points: [0, 0, width, 0],
          stroke: color,
          strokeWidth: 2,
        })
      } else {
        parts.push({ type: step.shape, name, x, y, width, height, fill: color })
      }
    }
  }
  const total = step.rows * step.columns
  const noun = parts[0]?.name.replace(/ \d+$/, '').toLowerCase() ?? 'shape'
  return {
    kind: 'shapes',
    name:
      total === 1
        ? `${noun[0]?.toUpperCase() ?? ''}${noun.slice(1)}`
        : `${step.rows}×${step.columns} ${noun}s`,
    width: snapUp(step.columns * (width + GAP) - GAP),
    height: snapUp(step.rows * (Math.max(height, 8) + GAP) - GAP),
    fill: 'transparent',
    stroke: 'transparent',
    parts,
  }
}

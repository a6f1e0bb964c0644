import { describe, expect, it } from 'vitest'
import { applyEdit, EditRefused } from '../../src/ai/edits/applyEdit.js'
import { executePlan, PlanRefused } from '../../src/ai/executePlan.js'
import { boundsOf, intersects } from '../../src/ai/geometry.js'
import { parseCommand } from '../../src/ai/planner/parseCommand.js'
import { THEMES } from '../../src/ai/themes/themes.js'
import type { CanvasObject, NewObject } from '../../src/protocol/objects.js'

// [AI3] Every edit command on existing objects, and the executor: placement in free space,
// edits as a preview with the values they replace, edits right after a create apply to it.

const obj = (id: string, props: Partial<NewObject>): CanvasObject => ({
  id,
  type: 'rect',
  x: 0,
  y: 0,
  width: 10,
  height: 10,
  createdBy: 'u',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  ...props,
})
const mapOf = (objects: CanvasObject[]) => new Map<string, NewObject>(objects.map((o) => [o.id, o]))
const three = [
  obj('a', { x: 10, y: 0, width: 20 }),
  obj('b', { x: 100, y: 50, width: 40 }),
  obj('c', { x: 300, y: 20, width: 10 }),
]
const edit = (command: string) => {
  const step = parseCommand(command).steps[0]
  if (step?.kind !== 'edit') throw new Error(`not an edit: ${command}`)
  return step.edit
}

describe('[AI3] edit commands', () => {
  it('[AI3] when "align left" runs on a selection, then every unit moves to the leftmost x and keeps its y', () => {
    const out = applyEdit(edit('align left'), mapOf(three), ['a', 'b', 'c'])
    expect(out.changes.get('b')).toEqual({ x: 10, y: 50 })
    expect(out.changes.get('c')).toEqual({ x: 10, y: 20 })
    expect(out.changes.has('a')).toBe(false)
  })

  it('[AI3] when "align right", "align top", "align bottom", "align centers" and "align middles" run, then units line up on that edge', () => {
    const m = mapOf(three)
    expect(applyEdit(edit('align right'), m, ['a', 'b', 'c']).changes.get('a')).toEqual({ x: 290, y: 0 })
    expect(applyEdit(edit('align top'), m, ['a', 'b', 'c']).changes.get('b')).toEqual({ x: 100, y: 0 })
    expect(applyEdit(edit('align bottom'), m, ['a', 'b', 'c']).changes.get('a')).toEqual({ x: 10, y: 50 })
    expect(applyEdit(edit('align centers'), m, ['a', 'b', 'c']).changes.get('c')).toEqual({ x: 155, y: 20 })
    expect(applyEdit(edit('line up the middles'), m, ['a', 'b', 'c']).changes.get('a')).toEqual({
      x: 10,
      y: 25,
    })
  })

  it('[AI3] when "distribute horizontally" runs on three shapes, then the gaps between them are equal', () => {
    const out = applyEdit(edit('distribute horizontally'), mapOf(three), ['c', 'a', 'b'])
    // span 10..310 = 300, widths 70: gaps of 115.
    expect(out.changes.get('b')).toEqual({ x: 145, y: 50 })
    expect(out.changes.has('a')).toBe(false)
    expect(out.changes.has('c')).toBe(false)
  })

  it('[AI3] when "distribute vertically" runs, then the vertical gaps are equal', () => {
    const m = mapOf([obj('a', { y: 0 }), obj('b', { y: 15 }), obj('c', { y: 100 })])
    expect(applyEdit(edit('distribute vertically'), m, ['a', 'b', 'c']).changes.get('b')).toEqual({
      x: 0,
      y: 50,
    })
  })

  it('[AI3] when "arrange the selected shapes in a grid" runs, then they land in reading order in cells that do not overlap', () => {
    const shapes = Array.from({ length: 5 }, (_, i) =>
      obj(`s${i}`, { x: i * 7, y: 100 - i * 3, width: 30, height: 20 }),
    )
    const m = mapOf(shapes)
    const out = applyEdit(
      edit('arrange the selected shapes in a grid'),
      m,
      shapes.map((s) => s.id),
    )
    const moved = shapes.map((s) => boundsOf({ ...s, ...out.changes.get(s.id) }))
    for (const [i, a] of moved.entries())
      for (const b of moved.slice(i + 1)) expect(intersects(a, b)).toBe(false)
    expect(new Set(moved.map((b) => b.y)).size).toBe(2) // 5 shapes: 3 columns, 2 rows
  })

  it('[AI3] when "make these bigger" runs, then each unit grows 1.5× about its centre, its text too', () => {
    const m = mapOf([obj('t', { type: 'text', x: 0, y: 0, width: 100, height: 20, fontSize: 16 })])
    expect(applyEdit(edit('make these bigger'), m, ['t']).changes.get('t')).toEqual({
      x: -25,
      y: -5,
      width: 150,
      height: 30,
      fontSize: 24,
    })
  })

  it('[AI3] when a frame is moved or scaled, then its children move and scale with it', () => {
    const m = mapOf([
      obj('f', { type: 'frame', x: 0, y: 0, width: 100, height: 100 }),
      obj('k', { x: 10, y: 10, width: 20, height: 20, parentId: 'f' }),
      obj('g', { x: 300, y: 0, width: 100, height: 100 }),
    ])
    const aligned = applyEdit(edit('align top'), m, ['f', 'k', 'g'])
    expect(aligned.changes.size).toBe(0)
    const left = applyEdit(edit('align right'), m, ['f', 'g'])
    expect(left.changes.get('f')).toEqual({ x: 300, y: 0 })
    expect(left.changes.get('k')).toEqual({ x: 310, y: 10 })
    const big = applyEdit(edit('make it twice as big'), m, ['f'])
    expect(big.changes.get('k')).toMatchObject({ x: -30, y: -30, width: 40, height: 40 })
  })

  it('[AI3] when "delete all text" runs, then every text object goes, selected or not; a frame takes its children', () => {
    const m = mapOf([
      obj('t1', { type: 'text' }),
      obj('r', {}),
      obj('t2', { type: 'text' }),
      obj('f', { type: 'frame' }),
      obj('c', { parentId: 'f' }),
    ])
    expect([...applyEdit(edit('delete all text'), m, ['r']).deletes].sort()).toEqual(['t1', 't2'])
    expect([...applyEdit(edit('delete the selected shapes'), m, ['f']).deletes].sort()).toEqual(['c', 'f'])
  })

  it('[AI3] when "change the button color to green" runs, then the button shapes are green and their labels are not', () => {
    const m = mapOf([
      obj('frame', { type: 'frame', name: 'Buy button' }),
      obj('shape', { name: 'Buy button', parentId: 'frame', fill: '#3b5bdb' }),
      obj('label', { type: 'text', name: 'Buy label', parentId: 'frame', fill: '#ffffff' }),
      obj('other', { name: 'Card image' }),
    ])
    const out = applyEdit(edit('change the button color to green'), m, [])
    expect([...out.changes.keys()]).toEqual(['shape'])
    expect(out.changes.get('shape')).toEqual({ fill: '#2f9e44' })
  })

  it('[AI3] when "make it dark" runs, then theme colours move to the dark theme by role and other colours stay', () => {
    const light = THEMES.light as (typeof THEMES)[string]
    const dark = THEMES.dark as (typeof THEMES)[string]
    const m = mapOf([
      obj('frame', { type: 'frame', fill: light.background, stroke: light.border }),
      obj('title', { type: 'text', fill: light.text, parentId: 'frame' }),
      obj('btn', { fill: light.primary, parentId: 'frame' }),
      obj('own', { fill: '#abcdef' }),
    ])
    const out = applyEdit(edit('make it dark'), m, [])
    expect(out.changes.get('frame')).toEqual({ fill: dark.background, stroke: dark.border })
    expect(out.changes.get('title')).toEqual({ fill: dark.text })
    expect(out.changes.get('btn')).toEqual({ fill: dark.primary })
    expect(out.changes.has('own')).toBe(false)
  })

  it('[AI3] when an edit has nothing to act on, then it is refused with a reason', () => {
    expect(() => applyEdit(edit('align left'), mapOf(three), ['a'])).toThrow(EditRefused)
    expect(() => applyEdit(edit('distribute horizontally'), mapOf(three), ['a', 'b'])).toThrow(/at least 3/)
    expect(() => applyEdit(edit('delete all text'), mapOf(three), [])).toThrow(/nothing/)
  })
})

describe('[AI3] the executor', () => {
  let n = 0
  const newId = () => `n${n++}`

  it('[AI3] when a component is created on a busy canvas, then it lands near the view centre without touching anything', () => {
    const busy = [obj('x', { x: 300, y: 150, width: 700, height: 500 })]
    const out = executePlan(parseCommand('create a login form'), { objects: busy, selection: [], newId })
    expect(out.creates.length).toBeGreaterThanOrEqual(5)
    const frame = boundsOf(out.creates[0] as NewObject)
    expect(intersects(frame, boundsOf(busy[0] as NewObject))).toBe(false)
    expect(out.summary).toMatch(/Created Sign in/)
  })

  it('[AI3] when a point is given and free, then the component goes exactly there (on the grid)', () => {
    const out = executePlan(parseCommand('add a button'), {
      objects: [],
      selection: [],
      at: { x: 400, y: 800 },
      newId,
    })
    expect(out.creates[0]).toMatchObject({ x: 400, y: 800 })
  })

  it('[AI3] when "at the top right" is asked, then the component sits in the top right of the viewport', () => {
    const viewport = { x: 1000, y: 1000, width: 1000, height: 800 }
    const out = executePlan(parseCommand('add a button at the top right'), {
      objects: [],
      selection: [],
      viewport,
      newId,
    })
    const b = boundsOf(out.creates[0] as NewObject)
    expect(b.x + b.width).toBeLessThanOrEqual(2000)
    expect(b.x).toBeGreaterThan(1500)
    expect(b.y).toBeLessThan(1100)
  })

  it('[AI3] when several things are created, then none overlaps another', () => {
    const out = executePlan(parseCommand('add a navbar and a footer and a card and a hero'), {
      objects: [],
      selection: [],
      newId,
    })
    const frames = out.creates.filter((o) => o.type === 'frame').map(boundsOf)
    expect(frames).toHaveLength(4)
    for (const [i, a] of frames.entries())
      for (const b of frames.slice(i + 1)) expect(intersects(a, b)).toBe(false)
  })

  it('[AI3] when an edit follows a create in one command, then it changes the new objects and no preview is made', () => {
    const out = executePlan(parseCommand('add a button then make it green'), {
      objects: three,
      selection: ['a'],
      newId,
    })
    expect(out.preview).toBeUndefined()
    expect(out.creates.find((o) => o.type === 'rect')?.fill).toBe('#2f9e44')
  })

  it('[AI3] when an edit of existing objects runs, then nothing is created and the preview holds the changes and the values they replace', () => {
    const out = executePlan(parseCommand('align left'), { objects: three, selection: ['a', 'b'], newId })
    expect(out.creates).toEqual([])
    expect(out.preview).toEqual({
      updates: [{ id: 'b', changes: { x: 10 }, before: { x: 100 } }],
      deletes: [],
    })
    const deleting = executePlan(parseCommand('delete the selected shapes'), {
      objects: three,
      selection: ['c'],
      newId,
    })
    expect(deleting.preview?.deletes).toEqual([{ id: 'c', version: 1 }])
  })

  it('[AI3] when a command would make too many objects, then it is refused whole', () => {
    const plan = parseCommand(
      'add a 12x8 table; add a 12x8 table; add a 12x8 table; add a 12x8 table; add a 12x8 table; add a 12x8 table',
    )
    expect(() => executePlan(plan, { objects: [], selection: [], newId })).toThrow(PlanRefused)
  })
})

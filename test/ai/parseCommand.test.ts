import { describe, expect, it } from 'vitest'
import { parseCommand, suggestionsFor, EXAMPLE_COMMANDS } from '../../src/ai/planner/parseCommand.js'
import { NONSENSE, PHRASINGS } from './phrasings.js'

// [AI2] The built-in planner on its phrasing set: synonyms, typos, counts, colours, themes,
// quoted labels, positions and every edit command.

describe('[AI2] the built-in planner', () => {
  it('[AI2] when the phrasing set is planned, then it has at least 150 varied commands', () => {
    expect(PHRASINGS.length).toBeGreaterThanOrEqual(150)
    expect(new Set(PHRASINGS.map(([c]) => c)).size).toBe(PHRASINGS.length)
  })

  for (const [command, expected] of PHRASINGS) {
    it(`[AI2] when told ${JSON.stringify(command)}, then it plans ${JSON.stringify(expected)}`, () => {
      const plan = parseCommand(command)
      expect(plan.rest).toEqual([])
      expect(plan.steps[0]).toMatchObject(expected)
    })
  }

  for (const command of NONSENSE) {
    it(`[AI2] when told ${JSON.stringify(command)}, then it plans nothing and hands the command on as rest`, () => {
      const plan = parseCommand(command)
      expect(plan.steps).toEqual([])
      expect(plan.rest).toEqual([command.toLowerCase()])
    })
  }

  it('[AI2] when a command has several clauses, then each becomes a step in order, and what is not understood is rest', () => {
    const plan = parseCommand('add a navbar and a footer, then make it blue; bake a cake')
    expect(plan.steps.map((s) => s.kind)).toEqual(['create', 'create', 'edit'])
    expect(plan.rest).toEqual(['bake a cake'])
  })

  it('[AI2] when a quoted label holds planner words, then they stay a label and are not read as commands', () => {
    const plan = parseCommand('create a button that says "delete all text then align left"')
    expect(plan.steps).toEqual([
      expect.objectContaining({ component: 'button', labels: ['delete all text then align left'] }),
    ])
  })

  it('[AI2] when the same command is planned twice, then the plans are equal (deterministic)', () => {
    for (const [command] of PHRASINGS) expect(parseCommand(command)).toEqual(parseCommand(command))
  })

  it('[AI2] when a command is very long, then only its first 500 characters are read, quickly', () => {
    const started = performance.now()
    const plan = parseCommand(`create a login form ${'and a button '.repeat(10_000)}`)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(plan.steps.length).toBeLessThanOrEqual(8)
  })

  it('[AI2] when a command is not understood, then three suggestions of commands it can do come back, nearest first', () => {
    const suggestions = suggestionsFor('bake a login cake')
    expect(suggestions).toHaveLength(3)
    for (const s of suggestions) expect(EXAMPLE_COMMANDS).toContain(s)
    expect(suggestions[0]).toBe('create a login form')
    for (const s of suggestions) expect(parseCommand(s).steps.length).toBeGreaterThan(0)
  })
})

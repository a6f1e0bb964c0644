import { ClaudeFailure, type ClaudePlanner } from './claude/claudePlanner.js'
import { parseCommand, suggestionsFor } from './planner/parseCommand.js'
import type { Plan } from './planner/plan.js'

/**
 * A command to a plan: the built-in planner first, then Claude (when configured and the user has
 * tokens left today) for only what the planner could not read. When Claude fails or is slow,
 * the planner's part stands alone; with no part understood, the caller answers with an error.
 */
export type PlanSource = 'planner' | 'claude' | 'planner+claude'

export type PlanAnswer =
  | { ok: true; plan: Plan; source: PlanSource; tokens: number; notes: string[] }
  | { ok: false; kind: 'not_understood'; message: string; suggestions: string[] }
  | { ok: false; kind: 'ai_failed'; message: string; failure: ClaudeFailure['kind'] }

export async function planCommand(command: string, claude: ClaudePlanner | undefined): Promise<PlanAnswer> {
  const local = parseCommand(command)
  if (local.rest.length === 0 && local.steps.length > 0)
    return { ok: true, plan: local, source: 'planner', tokens: 0, notes: [] }
  const unread = local.rest.join('; ')
  if (claude === undefined) {
    if (local.steps.length === 0) return notUnderstood(command)
    return {
      ok: true,
      plan: local,
      source: 'planner',
      tokens: 0,
      notes: [`Skipped what the built-in planner could not read: ${unread}`],
    }
  }
  try {
    const answer = await claude.plan(unread)
    const steps = [...local.steps, ...answer.steps]
    return {
      ok: true,
      plan: { steps, rest: [] },
      source: local.steps.length > 0 ? 'planner+claude' : 'claude',
      tokens: answer.tokens,
      notes: [],
    }
  } catch (err) {
    if (!(err instanceof ClaudeFailure)) throw err
    if (local.steps.length > 0) {
      return {
        ok: true,
        plan: local,
        source: 'planner',
        tokens: 0,
        notes: [`Skipped “${unread}”: ${err.message}`],
      }
    }
    if (err.kind === 'nothing_understood') return notUnderstood(command)
    return {
      ok: false,
      kind: 'ai_failed',
      message: `${err.message}; the built-in planner cannot do this command alone`,
      failure: err.kind,
    }
  }
}

function notUnderstood(command: string): PlanAnswer {
  return {
    ok: false,
    kind: 'not_understood',
    message: 'this command is not one the AI can do; try one of the suggestions',
    suggestions: suggestionsFor(command),
  }
}

import type { AiPreview } from '../protocol/aiHttpTypes.js'
import type { CanvasObject, NewObject, ObjectChanges } from '../protocol/objects.js'
import { COMPONENTS } from './components/catalog.js'
import type { Component } from './components/draft.js'
import { materialize } from './components/materialize.js'
import { shapeGrid } from './components/shapeGrid.js'
import { applyEdit, EditRefused } from './edits/applyEdit.js'
import { boundsOf, type Box } from './geometry.js'
import { anchorFor, DEFAULT_VIEWPORT, placeBox } from './placement.js'
import type { Plan, Step } from './planner/plan.js'
import { themeNamed, withPrimary } from './themes/themes.js'

/** Where the command was given: what is on the canvas, what is selected, what the user sees. */
export interface PlanContext {
  objects: readonly CanvasObject[]
  selection: readonly string[]
  viewport?: Box
  /** A point the user asked for (the request's x, y). */
  at?: { x: number; y: number }
  newId: () => string
}

export type Preview = AiPreview

export interface Outcome {
  /** New objects, each component's frame before its parts. */
  creates: NewObject[]
  preview: Preview | undefined
  summary: string
}

/** One command's output may not exceed this many objects. */
export const MAX_OBJECTS_PER_COMMAND = 600

export class PlanRefused extends Error {
  override name = 'PlanRefused'
}

/**
 * Runs a plan: components and shapes are built, placed in free space and returned as objects to
 * create; edits of what exists become a preview. An edit after something this command created
 * ("add a button, then make it blue") changes the new objects instead: they are not stored yet.
 */
export function executePlan(plan: Plan, context: PlanContext): Outcome {
  const existing = new Map<string, NewObject>(context.objects.map((o) => [o.id, o]))
  const occupied: Box[] = context.objects.map(boundsOf)
  const viewport = context.viewport ?? DEFAULT_VIEWPORT
  let zIndex = context.objects.reduce((max, o) => Math.max(max, o.zIndex ?? 0), 0) + 1
  const creates: NewObject[] = []
  const made: string[] = []
  const edits = new Map<string, ObjectChanges>()
  const deletes = new Set<string>()
  const edited: string[] = []
  /** Frames made by the previous create step: what "it" means right after one. */
  let lastMade: string[] = []

  for (const [i, step] of plan.steps.entries()) {
    if (step.kind === 'edit') {
      const onNew =
        lastMade.length > 0 &&
        step.edit.op !== 'theme' &&
        !(step.edit.op === 'delete' && step.edit.target.scope === 'all')
      const pool = onNew ? new Map(creates.map((o) => [o.id, o])) : applied(existing, edits, deletes)
      const selection = onNew ? lastMade : context.selection
      let outcome
      try {
        outcome = applyEdit(step.edit, pool, selection)
      } catch (err) {
        if (err instanceof EditRefused) throw new PlanRefused(err.message)
        throw err
      }
      if (onNew) {
        for (const [idx, o] of creates.entries()) {
          const changes = outcome.changes.get(o.id)
          if (changes) creates[idx] = { ...o, ...changes }
        }
        const kept = creates.filter((o) => !outcome.deletes.has(o.id))
        creates.length = 0
        creates.push(...kept)
      } else {
        for (const [id, changes] of outcome.changes) edits.set(id, { ...edits.get(id), ...changes })
        for (const id of outcome.deletes) deletes.add(id)
      }
      edited.push(describeEdit(step, outcome.changes.size + outcome.deletes.size))
      continue
    }
    const component = build(step)
    const size = { width: component.width, height: component.height }
    const anchor = anchorFor(
      size,
      viewport,
      i === 0 || creates.length === 0 ? context.at : undefined,
      step.position,
    )
    const { x, y } = placeBox(size, anchor, occupied)
    occupied.push({ x, y, ...size })
    const objects = materialize(component, x, y, zIndex, context.newId)
    zIndex += objects.length
    creates.push(...objects)
    if (creates.length > MAX_OBJECTS_PER_COMMAND) {
      throw new PlanRefused(`one command may make at most ${MAX_OBJECTS_PER_COMMAND} objects; ask for fewer`)
    }
    lastMade = [objects[0]?.id as string]
    made.push(`${component.name} (${objects.length} objects)`)
  }

  const preview = edits.size + deletes.size > 0 ? previewOf(existing, edits, deletes) : undefined
  const summary = [made.length > 0 ? `Created ${made.join(', ')}` : '', ...edited]
    .filter((s) => s !== '')
    .join('; ')
  return { creates, preview, summary: summary === '' ? 'Nothing to do' : summary }
}

function build(step: Exclude<Step, { kind: 'edit' }>): Component {
  const base = themeNamed(step.kind === 'create' ? step.theme : undefined)
  const theme = step.color !== undefined ? withPrimary(base, step.color) : base
  if (step.kind === 'shapes') return shapeGrid(step, theme)
  const options = { theme, labels: step.labels, size: step.size, count: step.count, columns: step.columns }
  return COMPONENTS[step.component].build(options)
}

/** The objects as an earlier edit step of this command left them. */
function applied(
  existing: Map<string, NewObject>,
  edits: Map<string, ObjectChanges>,
  deletes: Set<string>,
): Map<string, NewObject> {
  if (edits.size === 0 && deletes.size === 0) return existing
  const out = new Map<string, NewObject>()
  for (const [id, o] of existing) if (!deletes.has(id)) out.set(id, { ...o, ...edits.get(id) })
  return out
}

function previewOf(
  existing: Map<string, NewObject>,
  edits: Map<string, ObjectChanges>,
  deletes: Set<string>,
): Preview {
  const updates: Preview['updates'] = []
  for (const [id, changes] of edits) {
    if (deletes.has(id)) continue
    const o = existing.get(id) as unknown as Record<string, unknown>
    const before: Record<string, unknown> = {}
    const after: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(changes)) {
      const old = o[key] ?? (key === 'parentId' ? null : undefined)
      if (JSON.stringify(old) === JSON.stringify(value)) continue
      before[key] = old ?? null
      after[key] = value
    }
    if (Object.keys(after).length > 0) updates.push({ id, changes: after, before: before })
  }
  return {
    updates,
    deletes: [...deletes].map((id) => ({
      id,
      version: (existing.get(id) as CanvasObject | undefined)?.version ?? 0,
    })),
  }
}

function describeEdit(step: Extract<Step, { kind: 'edit' }>, count: number): string {
  const e = step.edit
  const what = `${count} object${count === 1 ? '' : 's'}`
  switch (e.op) {
    case 'align':
      return `Align ${what} ${e.edge === 'center' || e.edge === 'middle' ? `to the ${e.edge}` : e.edge}`
    case 'distribute':
      return `Distribute ${what} ${e.axis}ly`
    case 'arrange-grid':
      return `Arrange ${what} in a grid`
    case 'resize':
      return `${e.factor >= 1 ? 'Enlarge' : 'Shrink'} ${what} ×${Math.round(e.factor * 100) / 100}`
    case 'delete':
      return `Delete ${what}`
    case 'recolor':
      return `Recolour ${what} ${e.color}`
    case 'theme':
      return `Apply the ${e.theme} theme to ${what}`
  }
}

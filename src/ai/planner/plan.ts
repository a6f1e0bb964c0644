import type { ComponentKind } from '../components/catalog.js'
import type { Size } from '../components/buildOptions.js'

/**
 * What a command means, as steps the executor runs: the planner and Claude's tool calls both
 * produce these, and nothing else reaches the canvas (the model never emits raw objects).
 */
export const POSITIONS = [
  'top-left',
  'top',
  'top-right',
  'left',
  'center',
  'right',
  'bottom-left',
  'bottom',
  'bottom-right',
] as const
export type Position = (typeof POSITIONS)[number]

export const SHAPES = ['rect', 'ellipse', 'text', 'line'] as const
export type ShapeKind = (typeof SHAPES)[number]

export interface CreateStep {
  kind: 'create'
  component: ComponentKind
  labels: string[]
  count?: number
  columns?: number
  theme?: string
  /** #rrggbb: the theme's primary colour replaced. */
  color?: string
  size: Size
  position?: Position
}

export interface ShapesStep {
  kind: 'shapes'
  shape: ShapeKind
  rows: number
  columns: number
  /** #rrggbb */
  color?: string
  size: Size
  /** For text. */
  text?: string
  /** A square or a circle: equal sides. */
  square: boolean
  position?: Position
}

/** Which existing objects an edit acts on: the selection, or everything when nothing is selected. */
export interface Target {
  /** `selection`: only what is selected; `all`: the whole canvas; unset: the selection, or everything when nothing is. */
  scope?: 'selection' | 'all'
  /** Only objects of these types. */
  types?: ('rect' | 'ellipse' | 'text' | 'line' | 'frame')[]
  /** Only objects (or frames) whose name contains this ("button"). */
  named?: string
}

export type EditCommand =
  | { op: 'arrange-grid'; columns?: number }
  | { op: 'align'; edge: 'left' | 'right' | 'top' | 'bottom' | 'center' | 'middle' }
  | { op: 'distribute'; axis: 'horizontal' | 'vertical' }
  | { op: 'resize'; factor: number }
  | { op: 'delete'; target: Target }
  | { op: 'recolor'; target: Target; color: string }
  | { op: 'theme'; theme: string }

export interface EditStep {
  kind: 'edit'
  edit: EditCommand
}

export type Step = CreateStep | ShapesStep | EditStep

export interface Plan {
  steps: Step[]
  /** Parts of the command the planner did not understand (Claude may). */
  rest: string[]
}

/** Caps that keep one command's output readable and storable. */
export const PLAN_LIMITS = {
  steps: 8,
  shapeRows: 10,
  shapeColumns: 10,
  commandLength: 500,
} as const

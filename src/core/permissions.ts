import type { Role } from '../protocol/roles.js'

/** What each role may do with a canvas; the one table HTTP routes and the WebSocket share. */
const CANVAS_ACTIONS = ['view', 'move-cursor', 'edit-objects', 'rename', 'share', 'delete'] as const
export type CanvasAction = (typeof CANVAS_ACTIONS)[number]

const ALLOWED: Record<Role, ReadonlySet<CanvasAction>> = {
  owner: new Set(CANVAS_ACTIONS),
  editor: new Set(['view', 'move-cursor', 'edit-objects', 'rename']),
  viewer: new Set(['view', 'move-cursor']),
}

export function can(role: Role, action: CanvasAction): boolean {
  return ALLOWED[role].has(action)
}

import type { ErrorCode } from './errorCodes.js'
import type { NewObject, ObjectChanges } from './objects.js'

/** The AI commands' HTTP bodies (docs/ai.md), typed once for the routes and the web app. Types only. */

/** A user's AI command allowance: a bucket of `limit` an hour. */
export interface AiQuotaState {
  limit: number
  remaining: number
  /** Seconds until one more command is allowed; 0 when one is. */
  retryAfterSec: number
}

/** An edit of existing objects, not stored: the user accepts or rejects it [AI review]. */
export interface AiPreview {
  /** `before`: the values the changes replace; accepting skips any property changed since. */
  updates: { id: string; changes: ObjectChanges; before: ObjectChanges }[]
  /** `version`: the object as previewed; an object changed since is not deleted. */
  deletes: { id: string; version: number }[]
}

/** POST /api/canvases/:id/ai (200). */
export interface AiCommandBody {
  /** Created and stored, each component's frame before its parts. */
  objects: NewObject[]
  summary: string
  preview?: AiPreview
  source: 'planner' | 'claude' | 'planner+claude'
  /** The canvas's seq once the objects are applied. */
  seq: number
  quota: AiQuotaState
}

/** POST /api/canvases/:id/ai (422): a command it cannot do, and some it can. */
export interface AiUnsupportedBody {
  error: { code: ErrorCode; message: string }
  suggestions: string[]
  quota: AiQuotaState
}

/** GET /api/ai/quota. */
export interface AiQuotaBody {
  quota: AiQuotaState
  /** Whether Claude serves what the built-in planner cannot. */
  claude: boolean
}

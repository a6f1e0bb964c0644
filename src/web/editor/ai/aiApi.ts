import type { AiCommandBody, AiQuotaBody, AiQuotaState } from '../../../protocol/aiHttpTypes.js'

/**
 * The AI command endpoints as the editor calls them (docs/ai.md). Not in app/apiClient.ts: a
 * refused command carries more than an error (suggestions, the quota, when to retry), and the
 * box shows all of it inline.
 */
export interface AiRequest {
  command: string
  selection: readonly string[]
  viewport: { x: number; y: number; width: number; height: number }
}

export type AiResult =
  | { ok: true; body: AiCommandBody }
  | {
      ok: false
      status: number
      code: string
      message: string
      suggestions: string[]
      quota?: AiQuotaState
      retryAfterSec?: number
    }

export async function runAiCommand(canvasId: string, request: AiRequest): Promise<AiResult> {
  let response: Response
  try {
    response = await fetch(`/api/canvases/${encodeURIComponent(canvasId)}/ai`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    })
  } catch {
    return {
      ok: false,
      status: 0,
      code: 'network',
      message: 'Cannot reach the server. Check your connection and try again.',
      suggestions: [],
    }
  }
  const parsed = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined
  if (response.ok && parsed !== undefined) return { ok: true, body: parsed as unknown as AiCommandBody }
  const error = (parsed?.error ?? {}) as { code?: unknown; message?: unknown }
  const retry = Number(response.headers.get('retry-after') ?? '')
  const quota = parsed?.quota as AiQuotaState | undefined
  const remaining = response.headers.get('x-ai-quota-remaining')
  const limit = response.headers.get('x-ai-quota-limit')
  return {
    ok: false,
    status: response.status,
    code: typeof error.code === 'string' ? error.code : 'internal',
    message: typeof error.message === 'string' ? error.message : `The server answered ${response.status}.`,
    suggestions: Array.isArray(parsed?.suggestions)
      ? (parsed.suggestions as unknown[]).filter((s): s is string => typeof s === 'string')
      : [],
    ...(quota !== undefined
      ? { quota }
      : remaining !== null && limit !== null
        ? {
            quota: {
              limit: Number(limit),
              remaining: Number(remaining),
              retryAfterSec: Number.isFinite(retry) ? retry : 0,
            },
          }
        : {}),
    ...(Number.isFinite(retry) && retry > 0 ? { retryAfterSec: retry } : {}),
  }
}

export async function fetchAiQuota(): Promise<AiQuotaBody | undefined> {
  try {
    const response = await fetch('/api/ai/quota', {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    })
    return response.ok ? ((await response.json()) as AiQuotaBody) : undefined
  } catch {
    return undefined
  }
}

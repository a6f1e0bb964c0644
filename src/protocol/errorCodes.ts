/**
 * The one table of machine error codes, shared by HTTP, WebSocket and the web app.
 * Codes are never renamed or reused: clients branch on them. docs/errors.md lists them.
 */
export const ERROR_CODES = [
  'invalid_input',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'unsupported_command',
  'rate_limited',
  'limit_exceeded',
  'storage_full',
  'storage_unavailable',
  'bus_unavailable',
  'internal',
  // The AI provider failed or was too slow, and the built-in planner cannot do the command alone.
  'ai_unavailable',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value)
}

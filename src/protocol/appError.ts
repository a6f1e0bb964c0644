import type { ErrorCode } from './errorCodes.js'

/** The one error type the shell carries; HTTP and WebSocket layers map `code` to their own terms. */
export class AppError extends Error {
  readonly code: ErrorCode
  /** Set for invalid_input: the offending field, e.g. `body.email`. */
  readonly field: string | undefined
  /** Seconds, for rate_limited. */
  readonly retryAfterSec: number | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; retryAfterSec?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.field = options.field
    this.retryAfterSec = options.retryAfterSec
  }
}

export const invalidInput = (field: string, message: string) =>
  new AppError('invalid_input', message, { field })
export const notFound = (what: string) => new AppError('not_found', `${what} not found`)
export const forbidden = (message: string) => new AppError('forbidden', message)
export const unauthorized = (message = 'authentication required') => new AppError('unauthorized', message)

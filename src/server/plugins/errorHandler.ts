import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../protocol/appError.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'

export const HTTP_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_command: 422,
  rate_limited: 429,
  limit_exceeded: 403,
  storage_full: 507,
  storage_unavailable: 503,
  bus_unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string }
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  if (err.retryAfterSec !== undefined) reply.header('retry-after', String(Math.max(1, err.retryAfterSec)))
  const body: ErrorBody = { error: { code: err.code, message: err.message } }
  if (err.field !== undefined) body.error.field = err.field
  return reply.code(HTTP_STATUS[err.code]).send(body)
}

// Fastify's own client errors (parsing, limits) carry a 4xx statusCode; keep the status, use our codes.
const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
}

function fromValidation(err: FastifyError): AppError {
  const first = err.validation?.[0]
  const context = err.validationContext ?? 'body'
  const missing =
    first?.keyword === 'required' ? (first.params as { missingProperty?: string }).missingProperty : undefined
  const extra =
    first?.keyword === 'additionalProperties'
      ? (first.params as { additionalProperty?: string }).additionalProperty
      : undefined
  const pathPart = (first?.instancePath ?? '').split('/').filter(Boolean).join('.')
  const field = [context, pathPart, missing ?? extra].filter(Boolean).join('.')
  const what =
    extra !== undefined ? 'is not an allowed field' : missing !== undefined ? 'is required' : first?.message
  return new AppError('invalid_input', `${field} ${what ?? 'is invalid'}`, { field })
}

/** Maps anything thrown by a route to the contract's error body; never leaks a stack. */
export function toAppError(err: FastifyError | AppError | Error): AppError {
  if (err instanceof AppError) return err
  const fastifyErr = err as FastifyError
  if (fastifyErr.validation) return fromValidation(fastifyErr)
  const status = fastifyErr.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    const code = CODE_FOR_STATUS[status] ?? 'invalid_input'
    const message =
      fastifyErr.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? 'body is not valid JSON'
        : err.message
    return new AppError(code, message, code === 'invalid_input' ? { field: 'body' } : {})
  }
  return new AppError('internal', 'internal error', { cause: err })
}

/** Answers a request no route matched, if it can (the web app's client-side routes). */
export type NotFoundFallback = (request: FastifyRequest, reply: FastifyReply) => boolean

export function registerErrorHandling(app: FastifyInstance, fallback?: NotFoundFallback): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    const appError = toAppError(err)
    if (
      appError.code === 'internal' ||
      appError.code === 'storage_unavailable' ||
      appError.code === 'storage_full'
    ) {
      request.log.error({ err }, 'request failed')
    }
    return sendError(reply, appError)
  })
  app.setNotFoundHandler((request, reply) => {
    if (fallback?.(request, reply)) return reply
    return sendError(
      reply,
      new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    )
  })
}

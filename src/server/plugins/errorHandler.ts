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
  ai_unavailable: 503,
} as const satisfies Record<ErrorCode, number>

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string }
}

export function errorBody(err: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } }
  if (err.field !== undefined) body.error.field = err.field
  return body
}

/** `status` overrides the code's usual one for the HTTP layer's own refusals (414, 431). */
export function sendError(
  reply: FastifyReply,
  err: AppError,
  status: number = HTTP_STATUS[err.code],
): FastifyReply {
  if (err.retryAfterSec !== undefined) reply.header('retry-after', String(Math.max(1, err.retryAfterSec)))
  return reply.code(status).send(errorBody(err))
}

// Fastify's own client errors (parsing, limits) carry a 4xx statusCode; keep the status, use our codes.
const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'payload_too_large',
}

// Fixed messages for Fastify's own refusals: theirs quote the input (the URL, the Content-Type),
// and an error answer must never echo what the client sent [I2].
const FRAMEWORK_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body is empty but its Content-Type says JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body is larger than 1 MiB',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Content-Type must be application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_BAD_URL: 'the URL is not validly percent-encoded',
  FST_ERR_MAX_PARAM_LENGTH: 'a URL segment is too long',
}
const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'the request is malformed',
  413: 'the request is too large',
  414: 'the URL is too long',
  415: 'unsupported Content-Type',
}

function frameworkMessage(err: FastifyError | Error, status: number): string {
  const code = (err as FastifyError).code
  const known = code === undefined ? undefined : FRAMEWORK_MESSAGES[code]
  if (known !== undefined) return known
  if (err instanceof SyntaxError) {
    // secure-json-parse refuses prototype keys with a SyntaxError of its own.
    return /prototype/i.test(err.message)
      ? 'body must not contain __proto__ or constructor.prototype keys'
      : 'body is not valid JSON'
  }
  return STATUS_MESSAGES[status] ?? 'the request was refused'
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
    const onUrl = fastifyErr.code === 'FST_ERR_BAD_URL' || fastifyErr.code === 'FST_ERR_MAX_PARAM_LENGTH'
    return new AppError(
      code,
      frameworkMessage(err, status),
      code === 'invalid_input' && !onUrl ? { field: 'body' } : {},
    )
  }
  return new AppError('internal', 'internal error', { cause: err })
}

/** The status to answer with: the framework's own (414, 431) when our code's usual one differs. */
export function statusOf(err: FastifyError | Error, appError: AppError): number {
  const status = (err as FastifyError).statusCode
  return !(err instanceof AppError) && status !== undefined && CODE_FOR_STATUS[status] === appError.code
    ? status
    : HTTP_STATUS[appError.code]
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
    return sendError(reply, appError, statusOf(err, appError))
  })
  app.setNotFoundHandler((request, reply) => {
    if (fallback?.(request, reply)) return reply
    // The path is not echoed: an error body never quotes client input.
    return sendError(reply, new AppError('not_found', `no route for ${request.method} on this path`))
  })
}

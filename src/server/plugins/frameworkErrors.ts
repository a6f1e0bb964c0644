import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Socket } from 'node:net'
import { AppError } from '../../protocol/appError.js'
import type { ErrorCode } from '../../protocol/errorCodes.js'
import { errorBody, sendError, statusOf, toAppError } from './errorHandler.js'
import { API_HEADERS } from './security.js'

/**
 * Fastify's `frameworkErrors`: a URL it cannot route (bad percent-encoding, an over-long
 * segment) is refused before any hook runs. Answer in the contract's format, with the headers
 * every response carries, and without quoting the URL [I2].
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(err)
  void reply.headers(API_HEADERS).header('x-request-id', request.id).header('cache-control', 'no-store')
  void sendError(reply, appError, statusOf(err, appError))
}

interface ClientRefusal {
  status: number
  reason: string
  code: ErrorCode
  message: string
}

function refusalFor(err: NodeJS.ErrnoException): ClientRefusal {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      code: 'invalid_input',
      message: 'the request took too long',
    }
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      code: 'payload_too_large',
      message: 'the request line and headers are larger than 16 KiB',
    }
  }
  return {
    status: 400,
    reason: 'Bad Request',
    code: 'invalid_input',
    message: 'the request is not valid HTTP',
  }
}

/**
 * The HTTP server's `clientError`: bytes Node's parser refused (malformed request line or
 * headers, headers over 16 KiB, a timed-out request). Node and Fastify answer these with their
 * own bodies; ours has the contract's format and the security headers, then the connection ends.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const refusal = refusalFor(err)
  if (socket.writable) {
    const body = JSON.stringify(errorBody(new AppError(refusal.code, refusal.message)))
    const headers: Record<string, string> = {
      ...API_HEADERS,
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')
    socket.write(`HTTP/1.1 ${refusal.status} ${refusal.reason}\r\n${head}\r\n${body}`)
  }
  socket.destroy()
}

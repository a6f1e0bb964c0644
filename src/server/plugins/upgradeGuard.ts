import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { AppError } from '../../protocol/appError.js'
import { errorBody } from './errorHandler.js'
import { API_HEADERS, isAllowedHost, UNKNOWN_HOST, type OriginPolicy } from './security.js'

/**
 * Headers a WebSocket upgrade may carry [W8]: a browser sends about 15. Node drops those past
 * `maxHeadersCount` (2 000) silently, which once hid Sec-WebSocket-Key from ws and crashed it
 * (CVE-2024-37890): such a handshake is refused outright instead.
 */
export const MAX_UPGRADE_HEADERS = 100

function answer(socket: Duplex, status: number, reason: string, err: AppError): void {
  const body = JSON.stringify(errorBody(err))
  const headers = Object.entries({
    ...API_HEADERS,
    connection: 'close',
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}\r\n${body}`)
}

/**
 * Refuses, before the gateway sees it, an upgrade with too many headers [W8] or for a Host the
 * app does not serve [A4]: answered in the error format, connection ended. True when refused.
 */
export function refuseUpgrade(request: IncomingMessage, socket: Duplex, policy: OriginPolicy): boolean {
  if (request.rawHeaders.length / 2 > MAX_UPGRADE_HEADERS) {
    const err = new AppError(
      'payload_too_large',
      `a WebSocket handshake may carry at most ${MAX_UPGRADE_HEADERS} headers`,
    )
    answer(socket, 431, 'Request Header Fields Too Large', err)
    return true
  }
  if (!isAllowedHost(request.headers.host, policy)) {
    answer(socket, 400, 'Bad Request', UNKNOWN_HOST())
    return true
  }
  return false
}

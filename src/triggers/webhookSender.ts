import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'

export interface WebhookRequest {
  url: URL
  /** The address checked by checkWebhookUrl: the connection goes there and nowhere else [S2]. */
  address: { address: string; family: 4 | 6 }
  headers: Record<string, string>
  body: string
  timeoutMs: number
}

export interface WebhookResponse {
  statusCode: number | null
  error: string | null
  durationMs: number
}

/** Response bytes read at most; the rest is cut off [S4]. A receiver's body means nothing to us. */
export const MAX_RESPONSE_BYTES = 64 * 1024

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
}

/**
 * One POST. No redirects are followed (Node's client never does) [S3]; the response body is never
 * decoded (no `br`, no gzip: `Accept-Encoding: identity`, and the bytes are only counted) [S4];
 * the whole exchange, headers and body, has one deadline.
 */
export function sendWebhook(request: WebhookRequest, now: () => number = Date.now): Promise<WebhookResponse> {
  const started = now()
  const https_ = request.url.protocol === 'https:'
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [request.address])
    else callback(null, request.address.address, request.address.family)
  }
  return new Promise((resolve) => {
    let settled = false
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return
      settled = true
      resolve({ statusCode, error, durationMs: now() - started })
    }
    const req = (https_ ? https : http).request(
      request.url,
      {
        method: 'POST',
        agent: https_ ? agents.https : agents.http,
        lookup: pinned,
        headers: {
          ...request.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(request.body)),
          'accept-encoding': 'identity',
          'user-agent': 'CollabCanvas-Webhooks/1',
        },
      },
      (res) => {
        let bytes = 0
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes > MAX_RESPONSE_BYTES) res.destroy()
        })
        res.on('end', () => clearTimeout(timer))
        res.on('close', () => clearTimeout(timer))
        res.on('error', () => clearTimeout(timer))
        const status = res.statusCode ?? null
        finish(status, status !== null && status >= 300 && status < 400 ? 'redirects are not followed' : null)
      },
    )
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${request.timeoutMs} ms`))
    }, request.timeoutMs)
    req.on('error', (err) => {
      clearTimeout(timer)
      finish(null, err.message)
    })
    req.end(request.body)
  })
}

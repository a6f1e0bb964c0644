/**
 * Baseline peer for `npm run bench:http`: a bare node:http server answering GET /health with a
 * small JSON body of the same shape as CollabCanvas's, and 404 to anything else. No framework,
 * no database: the ceiling a Node HTTP server reaches on this machine.
 *
 * With RESPONSE_HEADERS=collabcanvas it also sends every header CollabCanvas's /health carries:
 * the API security headers [A5] (imported from the build, so the two cannot drift) and a fresh
 * request id. The response is then the same bytes CollabCanvas sends, and the difference between
 * the two baselines is the price of the response itself, which no framework can avoid. The headers
 * go to Node as one flat array: an object spread per response (`{ ...API_HEADERS, … }`) cost this
 * peer ~4 µs a request, more than Node's own handling of those headers (docs/performance.md).
 *
 * Run: PORT=8080 HOST=127.0.0.1 [RESPONSE_HEADERS=collabcanvas] node bench/peers/bareHttpHealth.mjs
 *      (started by bench/httpHealth.mjs; RESPONSE_HEADERS=collabcanvas needs a build)
 */
import { Buffer } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import http from 'node:http'

const port = Number(process.env.PORT ?? 8080)
const host = process.env.HOST ?? '127.0.0.1'
const sameHeaders = process.env.RESPONSE_HEADERS === 'collabcanvas'
const API_HEADER_LINES = sameHeaders
  ? Object.entries((await import('../../dist/server/plugins/security.js')).API_HEADERS).flat()
  : []

const JSON_TYPE = 'application/json; charset=utf-8'

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    const body = JSON.stringify({
      status: 'ok',
      service: sameHeaders ? 'collabcanvas' : 'bare-http',
      timestamp: Math.floor(Date.now() / 1000),
      checks: { database: 'ok', bus: 'ok' },
    })
    const length = Buffer.byteLength(body)
    res.writeHead(
      200,
      sameHeaders
        ? [
            ...API_HEADER_LINES,
            'x-request-id',
            randomUUID(),
            'content-type',
            JSON_TYPE,
            'content-length',
            length,
          ]
        : { 'content-type': JSON_TYPE, 'content-length': length },
    )
    res.end(body)
    return
  }
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' })
  res.end('{"error":{"code":"not_found","message":"not found"}}')
})

server.listen(port, host)
process.once('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})

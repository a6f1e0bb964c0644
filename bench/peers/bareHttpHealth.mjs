/**
 * Baseline peer for `npm run bench:http`: a bare node:http server answering GET /health with a
 * small JSON body of the same shape as CollabCanvas's, and 404 to anything else. No framework,
 * no database: the ceiling a Node HTTP server reaches on this machine.
 *
 * Run: PORT=8080 HOST=127.0.0.1 node bench/peers/bareHttpHealth.mjs   (started by bench/httpHealth.mjs)
 */
import { Buffer } from 'node:buffer'
import http from 'node:http'

const port = Number(process.env.PORT ?? 8080)
const host = process.env.HOST ?? '127.0.0.1'

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    const body = JSON.stringify({
      status: 'ok',
      service: 'bare-http',
      timestamp: Math.floor(Date.now() / 1000),
      checks: { database: 'ok', bus: 'ok' },
    })
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
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

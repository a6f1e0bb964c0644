import http from 'node:http'
import type { Socket } from 'node:net'

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders
  body: string
  /** Date.now() when it arrived. */
  at: number
}

/** What the receiver answers to one request; `hold` leaves the request unanswered (a stall). */
export type Respond = (req: ReceivedWebhook, res: http.ServerResponse) => void | 'hold'

/**
 * A real HTTP server on 127.0.0.1:0 that records every request and every TCP connection, and
 * answers as the test says (200 by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = []
  connections = 0
  respond: Respond = (_req, res) => {
    res.writeHead(200).end('ok')
  }
  private readonly sockets = new Set<Socket>()
  private readonly waiters = new Set<() => void>()

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = http.createServer()
    const receiver = new WebhookReceiver(server)
    server.on('connection', (socket: Socket) => {
      receiver.connections += 1
      receiver.sockets.add(socket)
      socket.once('close', () => receiver.sockets.delete(socket))
    })
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const hook = { headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() }
        receiver.received.push(hook)
        receiver.respond(hook, res)
        for (const wake of receiver.waiters) wake()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return receiver
  }

  get url(): string {
    const address = this.server.address()
    if (address === null || typeof address === 'string') throw new Error('not listening')
    return `http://127.0.0.1:${address.port}`
  }

  /** Resolves once `done(received)` holds; rejects after `timeoutMs` with what arrived. */
  waitUntil(done: (received: readonly ReceivedWebhook[]) => boolean, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.received)) return
        clearTimeout(timer)
        this.waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(
          new Error(
            `receiver: condition not met within ${timeoutMs} ms; ${this.received.length} requests arrived`,
          ),
        )
      }, timeoutMs)
      this.waiters.add(check)
      check()
    })
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** The event a delivery carries. */
export function eventOf(hook: ReceivedWebhook): {
  id: string
  type: string
  payload: Record<string, unknown>
} {
  return JSON.parse(hook.body) as { id: string; type: string; payload: Record<string, unknown> }
}

import WebSocket from 'ws'
import type { ServerMessage, UnbatchedServerMessage } from '../../src/protocol/messages.js'

export type Received = UnbatchedServerMessage

export interface ConnectOptions {
  /** Sent in the auth message; omit to rely on `cookie`. */
  token?: string
  lastSeq?: number
  /** Extra upgrade headers (Origin, Cookie). */
  headers?: Record<string, string>
  /** Source address, e.g. 127.0.0.2, to spread many sockets over ports. */
  localAddress?: string
  /** Send the auth message and wait for auth-success (default true). */
  authenticate?: boolean
}

export interface CloseInfo {
  code: number
  reason: string
}

const DEFAULT_TIMEOUT_MS = 5_000

/**
 * A real `ws` client that records every message (batches unwrapped) and lets a test wait for
 * the next one matching a predicate, failing with what did arrive instead of hanging.
 */
export class WsTestClient {
  readonly received: Received[] = []
  /** Index of the first message not yet consumed by waitFor. */
  private cursor = 0
  private readonly waiters = new Set<() => void>()
  readonly closed: Promise<CloseInfo>
  closeInfo: CloseInfo | undefined
  authSuccess: Extract<Received, { type: 'auth-success' }> | undefined

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame')
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString()
        : Buffer.isBuffer(data)
          ? data.toString()
          : Buffer.from(new Uint8Array(data)).toString()
      const message = JSON.parse(text) as ServerMessage
      if (message.type === 'batch') this.received.push(...message.messages)
      else this.received.push(message)
      for (const wake of this.waiters) wake()
    })
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() }
        resolve(this.closeInfo)
        for (const wake of this.waiters) wake()
      })
    })
    socket.on('error', () => {
      // 'close' follows and is what tests look at.
    })
  }

  /** Opens `/ws/:canvasId`; by default authenticates and waits for auth-success. */
  static async connect(
    baseUrl: string,
    canvasId: string,
    options: ConnectOptions = {},
  ): Promise<WsTestClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws/${canvasId}`
    const socket = new WebSocket(url, {
      headers: options.headers,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    })
    const client = new WsTestClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      )
      socket.once('error', reject)
    })
    if (options.authenticate === false) return client
    const auth: Record<string, unknown> = { type: 'auth' }
    if (options.token !== undefined) auth.token = options.token
    if (options.lastSeq !== undefined) auth.lastSeq = options.lastSeq
    client.send(auth)
    const first = await client.waitFor((m) => m.type === 'auth-success' || m.type === 'error')
    if (first.type !== 'auth-success') {
      throw new Error(`auth failed: ${JSON.stringify(first)} close=${JSON.stringify(await client.closed)}`)
    }
    client.authSuccess = first
    return client
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message))
  }

  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.socket.send(data, { binary: options.binary ?? false })
  }

  /**
   * The next not-yet-consumed message matching `predicate`; messages before it are consumed too.
   * Rejects after `timeoutMs`, or when the socket closes first, listing what arrived.
   */
  waitFor<T extends Received = Received>(
    predicate: (m: Received) => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        for (let i = this.cursor; i < this.received.length; i++) {
          const m = this.received[i] as Received
          if (predicate(m)) {
            this.cursor = i + 1
            done()
            resolve(m as T)
            return
          }
        }
        if (this.closeInfo) {
          done()
          reject(new Error(`socket closed ${JSON.stringify(this.closeInfo)}; received ${this.describe()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no matching message within ${timeoutMs} ms; received ${this.describe()}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  waitForAck(opId: string, timeoutMs?: number) {
    return this.waitFor<Extract<Received, { type: 'ack' }>>(
      (m) => m.type === 'ack' && m.opId === opId,
      timeoutMs,
    )
  }

  waitForError(opId?: string, timeoutMs?: number) {
    return this.waitFor<Extract<Received, { type: 'error' }>>(
      (m) => m.type === 'error' && (opId === undefined || m.opId === opId),
      timeoutMs,
    )
  }

  /** Resolves with the close code, or rejects if the socket is still open after `timeoutMs`. */
  async waitForClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still open after ${timeoutMs} ms; received ${this.describe()}`)),
        timeoutMs,
      )
    })
    try {
      return await Promise.race([this.closed, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Messages of a type received so far (consumed or not). */
  all<T extends Received['type']>(type: T): Extract<Received, { type: T }>[] {
    return this.received.filter((m): m is Extract<Received, { type: T }> => m.type === type)
  }

  close(): void {
    this.socket.close()
  }

  terminate(): void {
    this.socket.terminate()
  }

  private describe(): string {
    const tail = this.received.slice(-10).map((m) => JSON.stringify(m).slice(0, 200))
    return `${this.received.length} messages, last: ${tail.join(' | ')}`
  }
}

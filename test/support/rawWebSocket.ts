import { randomBytes } from 'node:crypto'
import net from 'node:net'

/**
 * A WebSocket client written by hand on a net socket, for frames no well-behaved library
 * sends: continuation fragments without end, thousands of fragments per message [W2]. It
 * does the RFC 6455 handshake, masks what it sends and parses what the server sends.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const

export interface ServerFrame {
  fin: boolean
  opcode: number
  payload: Buffer
}

/** One client frame: masked, as RFC 6455 requires of clients. */
export function clientFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const length = data.length
  const extra = length < 126 ? 0 : length < 65_536 ? 2 : 8
  const frame = Buffer.alloc(2 + extra + 4 + length)
  frame[0] = (fin ? 0x80 : 0) | opcode
  if (extra === 0) frame[1] = 0x80 | length
  else if (extra === 2) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  const mask = randomBytes(4)
  mask.copy(frame, 2 + extra)
  const offset = 2 + extra + 4
  for (let i = 0; i < length; i++) frame[offset + i] = (data[i] as number) ^ (mask[i & 3] as number)
  return frame
}

export class RawWebSocket {
  readonly frames: ServerFrame[] = []
  /** The status code of the server's close frame, once one arrived. */
  closeCode: number | undefined
  /** The TCP connection is gone (FIN or reset). */
  ended = false
  error: Error | undefined
  private pending: Buffer = Buffer.alloc(0)
  private readonly waiters = new Set<() => void>()

  private static readonly live = new Set<RawWebSocket>()

  /** Destroys every connection still open (afterEach), so server.close() never waits on one. */
  static destroyAll(): void {
    for (const client of RawWebSocket.live) client.destroy()
    RawWebSocket.live.clear()
  }

  private constructor(readonly socket: net.Socket) {
    RawWebSocket.live.add(this)
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', (err) => {
      this.error = err
    })
    socket.on('close', () => {
      RawWebSocket.live.delete(this)
      this.ended = true
      this.wake()
    })
  }

  /** Connects to `baseUrl` and upgrades `path`; rejects unless the answer is 101. */
  static async connect(baseUrl: string, path: string): Promise<RawWebSocket> {
    const url = new URL(baseUrl)
    const socket = net.connect({ host: url.hostname, port: Number(url.port) })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
    const rest = await new Promise<Buffer>((resolve, reject) => {
      let head = Buffer.alloc(0)
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end === -1) return
        socket.off('data', onData)
        socket.off('error', reject)
        const status = head.subarray(0, end).toString('latin1').split('\r\n')[0] ?? ''
        if (!/^HTTP\/1\.1 101 /.test(status)) reject(new Error(`upgrade refused: ${status}`))
        else resolve(head.subarray(end + 4))
      }
      socket.on('data', onData)
      socket.once('error', reject)
    })
    const client = new RawWebSocket(socket)
    if (rest.length > 0) client.receive(rest)
    return client
  }

  /** Writes frames; false when the socket is gone or the kernel buffer is full. */
  write(data: Buffer): boolean {
    if (this.ended || this.socket.destroyed) return false
    return this.socket.write(data)
  }

  sendText(text: string): boolean {
    return this.write(clientFrame(OPCODE.text, text))
  }

  /** Text frames received so far, parsed as JSON. */
  messages(): unknown[] {
    return this.frames
      .filter((f) => f.opcode === OPCODE.text)
      .map((f) => JSON.parse(f.payload.toString()) as unknown)
  }

  /** Resolves once `condition()` holds; rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        reject(
          new Error(
            `no ${what} within ${timeoutMs} ms: ${this.frames.length} frames, close ${this.closeCode}, ended ${this.ended}`,
          ),
        )
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  destroy(): void {
    this.socket.destroy()
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    for (;;) {
      const frame = parseServerFrame(this.pending)
      if (!frame) break
      this.pending = this.pending.subarray(frame.size)
      this.frames.push(frame.frame)
      if (frame.frame.opcode === OPCODE.close) {
        this.closeCode = frame.frame.payload.length >= 2 ? frame.frame.payload.readUInt16BE(0) : 1005
        // Answer as a client should, so the server finishes the closing handshake at once.
        this.write(clientFrame(OPCODE.close, frame.frame.payload.subarray(0, 2)))
        this.socket.end()
      }
    }
    this.wake()
  }

  private wake(): void {
    for (const check of [...this.waiters]) check()
  }
}

/** One unmasked server frame from the start of `data`, or undefined when incomplete. */
function parseServerFrame(data: Buffer): { frame: ServerFrame; size: number } | undefined {
  if (data.length < 2) return undefined
  const b0 = data[0] as number
  const b1 = data[1] as number
  let length = b1 & 0x7f
  let offset = 2
  if (length === 126) {
    if (data.length < 4) return undefined
    length = data.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (data.length < 10) return undefined
    length = Number(data.readBigUInt64BE(2))
    offset = 10
  }
  if (data.length < offset + length) return undefined
  return {
    frame: { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: data.subarray(offset, offset + length) },
    size: offset + length,
  }
}

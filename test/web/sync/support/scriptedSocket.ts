import type { SyncSocket } from '../../../../src/web/sync/socketConnection.js'

type Listener = (event: { data: unknown; code: number; reason: string }) => void

/**
 * A socket the test speaks for: whatever the server would send, in the order the test picks.
 * For rules about one side of the wire (timers, close codes, message routing) that a real server
 * cannot be made to break on cue; everything else runs against the real server.
 */
export class ScriptedSocket implements SyncSocket {
  static opened: ScriptedSocket[] = []
  readyState = 0
  readonly sent: string[] = []
  closedWith: { code: number | undefined; reason: string | undefined } | undefined
  private readonly listeners = new Map<string, Listener[]>()

  constructor(readonly url: string) {
    ScriptedSocket.opened.push(this)
  }

  /** The newest socket opened, failing when there is none. */
  static latest(): ScriptedSocket {
    const socket = ScriptedSocket.opened.at(-1)
    if (socket === undefined) throw new Error('no socket was opened')
    return socket
  }

  send(data: string): void {
    this.sent.push(data)
  }

  /** The sent frames, parsed. */
  sentMessages(): { type: string; [key: string]: unknown }[] {
    return this.sent.map((frame) => JSON.parse(frame) as { type: string })
  }

  close(code?: number, reason?: string): void {
    this.readyState = 3
    this.closedWith = { code, reason }
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  open(): void {
    this.readyState = 1
    this.emit('open', { data: undefined, code: 0, reason: '' })
  }

  receive(message: object): void {
    this.receiveRaw(JSON.stringify(message))
  }

  receiveRaw(data: unknown): void {
    this.emit('message', { data, code: 0, reason: '' })
  }

  /** The server (or the network) closed it. */
  serverClose(code: number, reason = ''): void {
    this.readyState = 3
    this.emit('close', { data: undefined, code, reason })
  }

  private emit(type: string, event: { data: unknown; code: number; reason: string }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event)
  }
}

/** A welcome as the server sends it, for user `me` unless told otherwise. */
export function welcome(fields: Record<string, unknown> = {}) {
  return {
    type: 'auth-success',
    userId: 'me',
    username: 'Me',
    color: '#111111',
    role: 'editor',
    seq: 0,
    objects: [],
    users: [{ userId: 'me', username: 'Me', color: '#111111' }],
    ...fields,
  }
}

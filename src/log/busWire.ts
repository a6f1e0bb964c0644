import type { LogEntry } from '../core/room/logEntry.js'
import type { CanvasNotice, Ephemeral } from './canvasBus.js'

/**
 * What instances tell each other over a shared transport (the SQLite queue, Redis). Every message
 * names its sender's instance id (`src`) so a sender skips its own, and `lid`, a number local to
 * the sender, so it can recognise its own message when it comes back (no local broadcast).
 */
export type WireBody =
  /** The canvas's log has entries up to `head`; `entries`, when small, are the new ones. */
  | { t: 'committed'; head: number; entries: LogEntry[] }
  | { t: 'notice'; notice: CanvasNotice }
  | { t: 'ephemeral'; message: Ephemeral }
  /** A new listener here: every instance re-sends its presence in the canvas [BUS5]. */
  | { t: 'hello' }
  /** A session ended (on the deployment channel) [BUS8]. */
  | { t: 'session-ended'; sessionHash: string }

export type WireMessage = WireBody & { src: string; lid: number }

export type WireKind = WireBody['t']

/** The channel every instance listens to, beside its canvases: deployment-wide events. */
export const DEPLOYMENT_CHANNEL = '*'

/**
 * Entries ride the message while their JSON stays under this; bigger commits go as a doorbell
 * and the receivers read them from the log, so one huge paste is not copied to every instance
 * through the transport.
 */
export const INLINE_ENTRIES_MAX_BYTES = 16 * 1024

export function encodeWire(message: WireMessage): string {
  return JSON.stringify(message)
}

/**
 * Parses a message from another instance of this deployment. The transport is ours (our own
 * instances write it), so this guards against corruption and version skew, not hostility: a
 * message that does not look like one is dropped, and the log still has everything.
 */
export function decodeWire(text: string): WireMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const m = value as Partial<WireMessage> & Record<string, unknown>
  if (typeof m.src !== 'string' || typeof m.lid !== 'number') return undefined
  switch (m.t) {
    case 'committed':
      return Number.isSafeInteger(m.head) && Array.isArray(m.entries) ? (m as WireMessage) : undefined
    case 'notice':
      return typeof m.notice === 'object' && m.notice !== null ? (m as WireMessage) : undefined
    case 'ephemeral':
      return typeof m.message === 'object' && m.message !== null ? (m as WireMessage) : undefined
    case 'hello':
      return m as WireMessage
    case 'session-ended':
      return typeof m.sessionHash === 'string' ? (m as WireMessage) : undefined
    case undefined:
    default:
      return undefined
  }
}

/**
 * Opening an authenticated WebSocket the way the contract says (contract "WebSocket"):
 * connect to /ws/:canvasId, send {"type":"auth","token"}, wait for auth-success. Failures
 * become errors that say what went wrong (HTTP status of the upgrade, close code, error frame).
 *
 * Not run directly; imported by the scenarios of bench/wsBench.mjs.
 */
import { clearTimeout, setTimeout } from 'node:timers'
import WebSocket from 'ws'

/** Client source addresses: spreading over them avoids ephemeral-port exhaustion. */
export const LOCAL_ADDRESSES = [
  '127.0.0.2',
  '127.0.0.3',
  '127.0.0.4',
  '127.0.0.5',
  '127.0.0.6',
  '127.0.0.7',
  '127.0.0.8',
  '127.0.0.9',
]

export const localAddressFor = (i) => LOCAL_ADDRESSES[i % LOCAL_ADDRESSES.length]

const CLOSE_MEANINGS = {
  1006: 'connection dropped without a close frame',
  1008: 'policy violation',
  1009: 'frame too large',
  4008: 'flood (too many rejected messages)',
  4009: 'slow consumer',
  4029: 'too many connections',
  4401: 'unauthorized (bad or missing token)',
  4403: 'forbidden (canvas not shared with the user)',
  4404: 'unknown canvas',
}

export function describeClose(code) {
  return `${code}${CLOSE_MEANINGS[code] ? ` ${CLOSE_MEANINGS[code]}` : ''}`
}

/** What went wrong while connecting or authenticating; `stage` is 'upgrade' | 'auth' | 'timeout'. */
export class AuthError extends Error {
  constructor(stage, message, details = {}) {
    super(message)
    this.name = 'AuthError'
    this.stage = stage
    Object.assign(this, details)
  }
}

/**
 * Resolves with { ws, auth } once auth-success arrived (auth is that message), rejects with an
 * AuthError otherwise. `onFrame(data)`, when given, is attached in the same tick as auth-success
 * arrives, so a frame that came in the same TCP read is not missed.
 */
export function openAuthenticated({ url, token, localAddress, timeoutMs = 10_000, onFrame }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      localAddress,
      perMessageDeflate: false,
      // The generator's own CPU limits what it can measure; the servers under test are ours.
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
      maxPayload: 64 * 1024 * 1024,
    })
    let settled = false
    const finish = (err, value) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      ws.removeListener('open', onOpen)
      ws.removeListener('message', onMessage)
      ws.removeListener('close', onClose)
      ws.removeListener('error', onError)
      if (err) {
        ws.on('error', () => {})
        ws.terminate()
        reject(err)
      } else resolve(value)
    }
    const timer = setTimeout(
      () => finish(new AuthError('timeout', `no auth-success within ${timeoutMs} ms from ${url}`)),
      timeoutMs,
    )
    function onOpen() {
      ws.send(JSON.stringify({ type: 'auth', token }))
    }
    function onMessage(data) {
      let msg
      try {
        msg = JSON.parse(data)
      } catch {
        finish(
          new AuthError('auth', `a non-JSON frame instead of auth-success: ${String(data).slice(0, 200)}`),
        )
        return
      }
      if (msg.type === 'auth-success') {
        finish(undefined, { ws, auth: msg })
        if (onFrame) ws.on('message', onFrame)
      } else if (msg.type === 'error')
        finish(
          new AuthError('auth', `error frame instead of auth-success: ${msg.code} ${msg.message ?? ''}`, {
            code: msg.code,
          }),
        )
      // Anything else (e.g. a resume's missed operations) may precede auth-success.
    }
    function onClose(code, reason) {
      finish(
        new AuthError('auth', `closed before auth-success: ${describeClose(code)} ${String(reason)}`.trim(), {
          closeCode: code,
        }),
      )
    }
    function onError(err) {
      const status = /Unexpected server response: (\d+)/.exec(err.message)
      finish(
        new AuthError('upgrade', `WebSocket upgrade to ${url} failed: ${err.message}`, {
          httpStatus: status ? Number(status[1]) : undefined,
          cause: err,
        }),
      )
    }
    ws.on('open', onOpen)
    ws.on('message', onMessage)
    ws.on('close', onClose)
    ws.on('error', onError)
  })
}

/** Closes sockets and resolves once each has emitted 'close' (or after `timeoutMs`, terminating the rest). */
export async function closeAll(sockets, timeoutMs = 5_000) {
  const open = sockets.filter((ws) => ws && ws.readyState !== WebSocket.CLOSED)
  const closed = Promise.all(open.map((ws) => new Promise((resolve) => ws.once('close', resolve))))
  for (const ws of open) {
    ws.on('error', () => {})
    if (ws.readyState === WebSocket.OPEN) ws.close(1000)
    else ws.terminate()
  }
  let timer
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs, 'timeout')
  })
  if ((await Promise.race([closed, timeout])) === 'timeout') for (const ws of open) ws.terminate()
  clearTimeout(timer)
  await closed
}

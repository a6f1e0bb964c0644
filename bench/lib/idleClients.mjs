/**
 * Child process of scenario (c) of `npm run bench:ws`: holds a share of the idle authenticated
 * connections (one process may hold at most 20,000 file descriptors here, so the parent forks
 * several). Talks to the parent over IPC:
 *   parent → {type:'open', url, conns:[{canvasId, token}], concurrency, offset}
 *   child  → {type:'ready', opened, failed, firstError, connectMs}
 *   parent → {type:'status'}  child → {type:'status', open, closes}
 *   parent → {type:'close'}   child → {type:'closed'} and exits
 * Frames the server sends (user-connected, pings) are accepted and ignored.
 *
 * Not run directly; forked by bench/lib/idleScenario.mjs.
 */
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { inParallel } from './api.mjs'
import { closeAll, localAddressFor, openAuthenticated } from './wsClient.mjs'

const sockets = []
const closes = {}
let closing = false

function onServerClose(code) {
  if (!closing) closes[code] = (closes[code] ?? 0) + 1
}

async function open({ url, conns, concurrency, offset }) {
  const t0 = performance.now()
  let failed = 0
  let firstError
  await inParallel(conns, concurrency, async (conn, i) => {
    try {
      const { ws } = await openAuthenticated({
        url: `${url}/ws/${conn.canvasId}`,
        token: conn.token,
        localAddress: localAddressFor(offset + i),
        timeoutMs: 20_000,
      })
      ws.on('close', onServerClose)
      ws.on('error', () => {})
      sockets.push(ws)
    } catch (err) {
      failed++
      firstError ??= err.message
    }
  })
  process.send({
    type: 'ready',
    opened: sockets.length,
    failed,
    firstError,
    connectMs: performance.now() - t0,
  })
}

process.on('message', (msg) => {
  if (msg.type === 'open') {
    open(msg).catch((err) =>
      process.send({ type: 'ready', opened: 0, failed: msg.conns.length, firstError: err.message }),
    )
  } else if (msg.type === 'status') {
    process.send({
      type: 'status',
      open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length,
      closes,
    })
  } else if (msg.type === 'close') {
    closing = true
    closeAll(sockets, 10_000).then(() => {
      process.send({ type: 'closed' }, () => process.disconnect())
    })
  }
})

// The parent went away (interrupted): drop everything.
process.once('disconnect', () => {
  if (!closing) process.exit(0)
})

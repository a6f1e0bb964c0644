/**
 * Scenarios (a) and (b) of `npm run bench:ws`: users in canvases sending object updates (and
 * cursor moves) at fixed rates, open loop, for a bounded time; receivers time every update and
 * cursor from the send time embedded in it.
 *
 * How it measures
 * - Every client is one authenticated socket. Before the load each creates its own object
 *   (object-create, ack awaited); during the load it sends
 *   {"type":"object-update","opId","id","changes":{"x":<send time>}} and {"type":"cursor","x":<send time>,"y"}.
 *   The send time is ms since this process started (performance.now(), µs precision): well inside
 *   ±1e7, the coordinate limit. All clients live in this process, so sender and receiver share the clock.
 * - Fan-out latency = receive time − x, at every receiver (object-update from a relay,
 *   object-updated from CollabCanvas, unwrapped from batch frames). Ack latency = ack receive
 *   time − send time of that opId.
 * - Only messages sent after the warm-up count. After the load stops, receivers get up to
 *   --drain seconds for what is still in flight; the wait ends as soon as every expected update
 *   and ack has arrived. What has not arrived by then is reported as not delivered.
 *   Delivered/s = delivered (by the end of the drain) / load seconds; "before load end" counts
 *   only what arrived while the load was still running (what a relay sustains, not what it
 *   catches up on afterwards).
 * - Server CPU from /proc/<pid>/stat and this process's CPU (the load generator's) over the load
 *   window; server RSS sampled every 250 ms, and its peak (VmHWM).
 *
 * Not run directly; used by bench/wsBench.mjs.
 */
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers'
import WebSocket from 'ws'
import { inParallel } from './api.mjs'
import { cpuMeter, processRss } from './proc.mjs'
import { LatencyHistogram, round } from './stats.mjs'
import { closeAll, localAddressFor, openAuthenticated } from './wsClient.mjs'

// The generator must stay cheap: at 90k–350k frames/s its own CPU is what limits the baselines.
// Frames of the two shapes it receives most (an update whose only change is x, a relay's cursor)
// have their x read by a byte search; anything else, and anything unexpected, goes to JSON.parse.
const UPDATE = 1
const CURSOR = 2
const UPDATE_PREFIX = Buffer.from('{"type":"object-update') // object-update (relay) and object-updated
const CURSOR_PREFIX = Buffer.from('{"type":"cursor","x":')
const CHANGES_X = Buffer.from('"changes":{"x":')
let quickX = 0

const startsWith = (data, prefix) =>
  data.length > prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0

/** UPDATE or CURSOR with the timestamp in quickX, or 0 when the frame needs a real parse. */
function quickRead(data) {
  let at
  let kind
  if (startsWith(data, UPDATE_PREFIX)) {
    const i = data.indexOf(CHANGES_X, UPDATE_PREFIX.length)
    if (i === -1) return 0
    at = i + CHANGES_X.length
    kind = UPDATE
  } else if (startsWith(data, CURSOR_PREFIX)) {
    at = CURSOR_PREFIX.length
    kind = CURSOR
  } else return 0
  let end = at
  // Digits, '.', '-', '+', 'e', 'E'.
  for (
    let b = data[end];
    (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x2d || b === 0x2b || b === 0x65 || b === 0x45;
    b = data[++end]
  );
  // An update must carry x alone (as the generator sent it); a cursor is followed by ,"y".
  if (data[end] !== (kind === UPDATE ? 0x7d : 0x2c)) return 0
  const x = Number(data.toString('latin1', at, end))
  if (end === at || !Number.isFinite(x)) return 0
  quickX = x
  return kind
}

const T0 = performance.now()
/** Milliseconds since this module loaded; what goes into x. */
const now = () => performance.now() - T0
const MB = 1024 * 1024

/**
 * canvases: [{ canvasId, tokens: [sessionId…] }], one client per token.
 * Several instances of one deployment (bench/scaleBench.mjs): `wsUrls` and `serverPids` list
 * them; client i connects to instance i mod n, so each canvas has members on every instance.
 * The sender's instance then rides in x's last two decimals (x = send time to 10 µs + instance
 * / 1000), and fan-out is also reported for cross-instance deliveries alone (`crossFanoutMs`).
 * Resolves with the run's measurements; throws when connecting or creating objects fails.
 */
export async function runLoad({
  wsUrl,
  serverPid,
  wsUrls = [wsUrl],
  serverPids = [serverPid],
  canvases,
  updateRate,
  cursorRate,
  seconds,
  warmupSeconds,
  drainSeconds,
  idPrefix,
  connectConcurrency = 50,
}) {
  const clients = []
  for (const canvas of canvases) {
    for (const token of canvas.tokens) {
      clients.push({
        idx: clients.length,
        canvasId: canvas.canvasId,
        token,
        peers: canvas.tokens.length - 1,
        objectId: `${idPrefix}o${clients.length}`,
        instance: clients.length % wsUrls.length,
        ops: 0,
        userId: undefined,
        ws: undefined,
      })
    }
  }

  const m = {
    measureFrom: Infinity,
    updatesSent: 0,
    updatesExpected: 0,
    updatesDelivered: 0,
    updatesInWindow: 0,
    loadEnd: Infinity,
    cursorsSent: 0,
    cursorsExpected: 0,
    cursorsDelivered: 0,
    cursorsInWindow: 0,
    acksReceived: 0,
    frames: 0,
    bytes: 0,
    fanout: new LatencyHistogram(),
    crossFanout: new LatencyHistogram(),
    crossCursor: new LatencyHistogram(),
    ack: new LatencyHistogram(),
    cursor: new LatencyHistogram(),
    errors: {},
    closes: {},
    other: {},
    pending: new Map(),
    createWaiters: new Map(),
    draining: false,
    onDrained: undefined,
  }
  const count = (bucket, key) => {
    bucket[key] = (bucket[key] ?? 0) + 1
  }

  const checkDrained = () => {
    if (m.draining && m.updatesDelivered >= m.updatesExpected && m.acksReceived >= m.updatesSent)
      m.onDrained?.()
  }

  const multi = wsUrls.length > 1
  /** The send time as x: to the µs, or to 10 µs plus the sender's instance / 1000 when several. */
  const stamp = (t, c) =>
    multi ? (Math.floor(t * 100) * 10 + c.instance) / 1000 : Math.round(t * 1000) / 1000
  /** The sender's instance, from x's last decimals (multi-instance runs only). */
  const senderOf = (x) => Math.round(x * 1000) % 10

  function onUpdate(sentAt, t, c) {
    if (sentAt < m.measureFrom) return
    m.updatesDelivered++
    if (t < m.loadEnd) m.updatesInWindow++
    m.fanout.record(t - sentAt)
    if (multi && senderOf(sentAt) !== c.instance) m.crossFanout.record(t - sentAt)
    if (m.draining) checkDrained()
  }

  function onCursor(sentAt, t, c) {
    if (!(sentAt >= m.measureFrom)) return
    m.cursorsDelivered++
    if (t < m.loadEnd) m.cursorsInWindow++
    m.cursor.record(t - sentAt)
    if (multi && senderOf(sentAt) !== c.instance) m.crossCursor.record(t - sentAt)
  }

  function handle(c, msg, t) {
    switch (msg.type) {
      case 'batch':
        for (const inner of msg.messages) handle(c, inner, t)
        return
      case 'object-update':
      case 'object-updated':
        if (typeof msg.changes?.x === 'number') onUpdate(msg.changes.x, t, c)
        return
      case 'cursor':
        onCursor(msg.x, t, c)
        return
      case 'cursors':
        for (const k of msg.cursors) if (k.userId !== c.userId) onCursor(k.x, t, c)
        return
      case 'ack': {
        const waiter = m.createWaiters.get(msg.opId)
        if (waiter) {
          m.createWaiters.delete(msg.opId)
          waiter.resolve()
          return
        }
        const sentAt = m.pending.get(msg.opId)
        if (sentAt === undefined) return
        m.pending.delete(msg.opId)
        if (sentAt >= m.measureFrom) {
          m.acksReceived++
          m.ack.record(t - sentAt)
          if (m.draining) checkDrained()
        }
        return
      }
      case 'error': {
        count(m.errors, msg.code ?? 'unknown')
        const waiter = msg.opId === undefined ? undefined : m.createWaiters.get(msg.opId)
        if (waiter) waiter.reject(new Error(`object-create refused: ${msg.code} ${msg.message ?? ''}`))
        return
      }
      default:
        count(m.other, msg.type)
    }
  }

  let closing = false
  try {
    const connectStart = now()
    await inParallel(clients, connectConcurrency, async (c, i) => {
      const { ws, auth } = await openAuthenticated({
        url: `${wsUrls[c.instance]}/ws/${c.canvasId}`,
        token: c.token,
        localAddress: localAddressFor(i),
        onFrame(data) {
          const t = now()
          if (t >= m.measureFrom) {
            m.frames++
            m.bytes += data.length
          }
          const quick = quickRead(data)
          if (quick === UPDATE) return onUpdate(quickX, t, c)
          if (quick === CURSOR) return onCursor(quickX, t, c)
          let msg
          try {
            msg = JSON.parse(data)
          } catch {
            count(m.errors, 'generator: non-JSON frame')
            return
          }
          handle(c, msg, t)
        },
      })
      c.ws = ws
      c.userId = auth.userId
      ws.on('close', (code) => {
        if (!closing) count(m.closes, code)
      })
      ws.on('error', (err) => count(m.errors, `generator: socket error ${err.code ?? err.message}`))
    })
    const connectMs = now() - connectStart

    // Each client's object, acknowledged before the load starts.
    const created = clients.map(
      (c) =>
        new Promise((resolve, reject) => {
          const opId = `${idPrefix}c${c.idx}`
          m.createWaiters.set(opId, { resolve, reject })
          c.ws.send(
            JSON.stringify({
              type: 'object-create',
              opId,
              object: { id: c.objectId, type: 'rect', x: 0, y: 0, width: 40, height: 30 },
            }),
          )
        }),
    )
    let createTimer
    await Promise.race([
      Promise.all(created),
      new Promise((_, reject) => {
        createTimer = setTimeout(
          () =>
            reject(
              new Error(`${m.createWaiters.size} of ${clients.length} object-create acks missing after 30 s`),
            ),
          30_000,
        )
      }),
    ]).finally(() => clearTimeout(createTimer))

    // The load: open loop; each client has its own phase so sends are spread over the period.
    const updatePeriod = updateRate > 0 ? 1000 / updateRate : Infinity
    const cursorPeriod = cursorRate > 0 ? 1000 / cursorRate : Infinity
    const start = now()
    const measureFrom = start + warmupSeconds * 1000
    const end = measureFrom + seconds * 1000
    // Known before the first send: a message counts by its send time alone, on both sides.
    m.measureFrom = measureFrom
    m.loadEnd = end
    for (const c of clients) {
      c.nextUpdate = updateRate > 0 ? start + Math.random() * updatePeriod : Infinity
      c.nextCursor = cursorRate > 0 ? start + Math.random() * cursorPeriod : Infinity
    }
    let meter
    let rssMaxDuringLoad = 0
    let maxTickGapMs = 0
    let lastTick = start

    const sendUpdate = (c) => {
      const sentAt = now()
      const opId = `${idPrefix}${c.idx.toString(36)}_${(c.ops++).toString(36)}`
      const x = stamp(sentAt, c)
      c.ws.send(`{"type":"object-update","opId":"${opId}","id":"${c.objectId}","changes":{"x":${x}}}`)
      m.pending.set(opId, x)
      if (x >= m.measureFrom) {
        m.updatesSent++
        m.updatesExpected += c.peers
      }
    }
    const sendCursor = (c) => {
      const x = stamp(now(), c)
      c.ws.send(`{"type":"cursor","x":${x},"y":${c.idx}}`)
      if (x >= m.measureFrom) {
        m.cursorsSent++
        m.cursorsExpected += c.peers
      }
    }

    const rssSampler = setInterval(() => {
      if (meter === undefined) return
      const rss = serverPids.reduce((sum, pid) => sum + processRss(pid).rss, 0)
      if (rss > rssMaxDuringLoad) rssMaxDuringLoad = rss
    }, 250)

    let cpu
    await new Promise((resolve) => {
      const tick = () => {
        const t = now()
        if (t - lastTick > maxTickGapMs && meter !== undefined) maxTickGapMs = t - lastTick
        lastTick = t
        if (meter === undefined && t >= measureFrom) meter = cpuMeter(serverPids)
        if (t >= end) {
          clearInterval(timer)
          cpu = (meter ?? cpuMeter(serverPids)).stop()
          resolve()
          return
        }
        for (const c of clients) {
          if (c.ws.readyState !== WebSocket.OPEN) continue // counted in `closes`
          // Catch up if this tick came late: the offered rate does not drop when we are slow.
          while (c.nextUpdate <= t) {
            sendUpdate(c)
            c.nextUpdate += updatePeriod
          }
          while (c.nextCursor <= t) {
            sendCursor(c)
            c.nextCursor += cursorPeriod
          }
        }
      }
      const timer = setInterval(tick, 2)
    })
    clearInterval(rssSampler)

    // Drain: wait for what is in flight, bounded.
    const drainStart = now()
    let drainTimer
    await new Promise((resolve) => {
      m.onDrained = resolve
      m.draining = true
      drainTimer = setTimeout(resolve, drainSeconds * 1000)
      checkDrained()
    })
    clearTimeout(drainTimer)
    const drainMs = now() - drainStart
    const rssOf = serverPids.map((pid) => processRss(pid))
    const rss = {
      rss: rssOf.reduce((sum, r) => sum + r.rss, 0),
      peak: rssOf.reduce((sum, r) => sum + r.peak, 0),
    }

    const peersTotal = clients.reduce((n, c) => n + c.peers, 0)
    return {
      clients: clients.length,
      canvases: canvases.length,
      seconds,
      connectMs: round(connectMs, 0),
      offered: {
        updatesPerSec: clients.length * updateRate,
        cursorsPerSec: clients.length * cursorRate,
        updateDeliveriesPerSec: peersTotal * updateRate,
        cursorDeliveriesPerSec: peersTotal * cursorRate,
      },
      // Below the offered rate when the generator itself could not keep up (see its CPU).
      sentPerSec: {
        updates: round(m.updatesSent / seconds, 0),
        cursors: round(m.cursorsSent / seconds, 0),
      },
      updates: {
        sent: m.updatesSent,
        expected: m.updatesExpected,
        delivered: m.updatesDelivered,
        deliveredRatio: m.updatesExpected === 0 ? null : round(m.updatesDelivered / m.updatesExpected, 4),
        expectedPerSec: round(m.updatesExpected / seconds, 0),
        deliveredPerSec: round(m.updatesDelivered / seconds, 0),
        deliveredBeforeLoadEndPerSec: round(m.updatesInWindow / seconds, 0),
        fanoutMs: m.fanout.summary(),
        ...(multi ? { crossFanoutMs: m.crossFanout.summary() } : {}),
      },
      acks: { expected: m.updatesSent, received: m.acksReceived, ms: m.ack.summary() },
      cursors: {
        sent: m.cursorsSent,
        expected: m.cursorsExpected,
        delivered: m.cursorsDelivered,
        expectedPerSec: round(m.cursorsExpected / seconds, 0),
        deliveredPerSec: round(m.cursorsDelivered / seconds, 0),
        deliveredBeforeLoadEndPerSec: round(m.cursorsInWindow / seconds, 0),
        fanoutMs: m.cursor.summary(),
        ...(multi ? { crossFanoutMs: m.crossCursor.summary() } : {}),
      },
      messagesDeliveredPerSec: round((m.updatesDelivered + m.cursorsDelivered) / seconds, 0),
      messagesExpectedPerSec: round((m.updatesExpected + m.cursorsExpected) / seconds, 0),
      frames: {
        received: m.frames,
        perSec: round(m.frames / seconds, 0),
        mbPerSec: round(m.bytes / MB / seconds),
      },
      cpuPercent: {
        // All instances together when several (100 % = one core).
        server: round(
          serverPids.reduce((sum, pid) => sum + cpu.servers[pid], 0),
          0,
        ),
        generator: round(cpu.generator, 0),
        otherProcesses: round(cpu.others, 0),
      },
      rssMB: {
        serverPeak: round(rss.peak / MB, 1),
        serverMaxDuringLoad: round(rssMaxDuringLoad / MB, 1),
        serverAfterDrain: round(rss.rss / MB, 1),
      },
      drainMs: round(drainMs, 0),
      generatorMaxTickGapMs: round(maxTickGapMs, 1),
      errors: m.errors,
      closes: m.closes,
      otherMessages: m.other,
    }
  } finally {
    // Also on failure: no socket outlives the run.
    closing = true
    await closeAll(clients.map((c) => c.ws).filter((ws) => ws !== undefined))
  }
}

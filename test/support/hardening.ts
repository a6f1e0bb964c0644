import { performance } from 'node:perf_hooks'
import type { Socket } from 'node:net'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import path from 'node:path'
import Database from 'better-sqlite3'
import WebSocket from 'ws'
import type { ServerMessage, UnbatchedServerMessage } from '../../src/protocol/messages.js'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import type { TestServer } from './startTestServer.js'

/**
 * Shared tools of the WebSocket hardening tests (reliability.md W1–W6): a client that counts
 * instead of keeping every message (so the test's own memory does not hide the server's),
 * waiting on events instead of sleeping, memory and latency measurement, and read-back of
 * the op log from a second SQLite connection.
 */

export type Received = UnbatchedServerMessage

export interface CountingConnectOptions {
  token?: string
  lastSeq?: number
  /** Send the auth message and wait for auth-success (default true). */
  authenticate?: boolean
  /** ws client option: false makes the socket ignore the server's pings [W6]. */
  autoPong?: boolean
  localAddress?: string
  /** Extra upgrade request headers (X-Forwarded-For through a proxy) [W6]. */
  headers?: Record<string, string>
  /** Record the seq of every object-* message in arrival order (resume checks) [R1]. */
  recordSeqs?: boolean
  timeoutMs?: number
}

export interface CloseInfo {
  code: number
  reason: string
  /** performance.now() when 'close' fired. */
  at: number
}

const DEFAULT_TIMEOUT_MS = 10_000

/**
 * A real `ws` client that keeps counters, not messages: per type, acks by opId, error frames,
 * the highest seq seen. `until(condition)` re-checks on every message and on close, and fails
 * after a timeout saying what it saw.
 */
export class CountingClient {
  readonly counts = new Map<string, number>()
  readonly acks = new Map<string, number>()
  readonly errors: { code: string; message: string; opId?: string }[] = []
  /** object-* seqs in arrival order, when `recordSeqs` was asked for. */
  readonly seqs: number[] | undefined
  /** Highest seq seen in an ack or object-* message. */
  maxSeq = 0
  authSuccess: Extract<Received, { type: 'auth-success' }> | undefined
  closeInfo: CloseInfo | undefined
  /** performance.now() when the upgrade completed ('open'). */
  openedAt = Number.NaN
  /** performance.now() when auth-success arrived. */
  authedAt = Number.NaN
  /** Called for every message after the counters are updated. */
  onMessage: ((m: Received, at: number) => void) | undefined
  private readonly waiters = new Set<() => void>()
  private readonly recent: string[] = []

  /** Every client not yet closed, so a failing test can still tear everything down. */
  private static readonly live = new Set<CountingClient>()

  /** Terminates every client still open (afterEach): a paused one would hold up server.close(). */
  static terminateAll(): void {
    for (const client of CountingClient.live) client.terminate()
    CountingClient.live.clear()
  }

  private constructor(
    readonly socket: WebSocket,
    recordSeqs: boolean,
  ) {
    CountingClient.live.add(this)
    socket.once('open', () => {
      this.openedAt = performance.now()
    })
    this.seqs = recordSeqs ? [] : undefined
    socket.on('message', (data, isBinary) => this.receive(data, isBinary))
    socket.on('close', (code, reason) => {
      CountingClient.live.delete(this)
      this.closeInfo = { code, reason: reason.toString(), at: performance.now() }
      this.wake()
    })
    socket.on('error', () => {
      // 'close' follows and is what the tests look at.
    })
  }

  static async connect(
    baseUrl: string,
    canvasId: string,
    options: CountingConnectOptions = {},
  ): Promise<CountingClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/${canvasId}`, {
      autoPong: options.autoPong ?? true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    })
    const client = new CountingClient(socket, options.recordSeqs ?? false)
    await opened(socket)
    if (options.authenticate === false) return client
    const auth: Record<string, unknown> = { type: 'auth' }
    if (options.token !== undefined) auth.token = options.token
    if (options.lastSeq !== undefined) auth.lastSeq = options.lastSeq
    client.send(auth)
    await client.until(
      () => client.authSuccess !== undefined || client.errors.length > 0,
      options.timeoutMs,
      'auth-success',
    )
    if (!client.authSuccess) throw new Error(`auth failed: ${client.describe()}`)
    return client
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message))
  }

  /** Resolves once `condition()` holds; rejects after `timeoutMs` or on close while it does not. */
  until(condition: () => boolean, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          done()
          resolve()
        } else if (this.closeInfo) {
          done()
          reject(new Error(`socket closed before ${what}: ${this.describe()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no ${what} within ${timeoutMs} ms: ${this.describe()}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** Resolves with the close once it happens; rejects if still open after `timeoutMs`. */
  waitForClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.closeInfo) return
        done()
        resolve(this.closeInfo)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`still open after ${timeoutMs} ms: ${this.describe()}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** The net socket under the ws client: pausing it stops reading, as a stuck client would. */
  get rawSocket(): Socket {
    return (this.socket as unknown as { _socket: Socket })._socket
  }

  close(): void {
    this.socket.close()
  }

  terminate(): void {
    this.socket.terminate()
  }

  describe(): string {
    const counts = [...this.counts].map(([k, v]) => `${k}=${v}`).join(' ')
    return `counts {${counts}} errors=${this.errors.length} close=${JSON.stringify(this.closeInfo)} last: ${this.recent.join(' | ')}`
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    const at = performance.now()
    if (isBinary) throw new Error('server sent a binary frame')
    const text = rawText(data)
    // Decoded from the bytes, not sliced from `text`: a slice would keep the whole frame alive.
    this.recent.push(Buffer.from(text.slice(0, 160)).toString())
    if (this.recent.length > 5) this.recent.shift()
    const message = JSON.parse(text) as ServerMessage
    const messages = message.type === 'batch' ? message.messages : [message]
    for (const m of messages) {
      this.counts.set(m.type, (this.counts.get(m.type) ?? 0) + 1)
      switch (m.type) {
        case 'auth-success':
          this.authSuccess = m
          this.authedAt = at
          this.maxSeq = Math.max(this.maxSeq, m.seq)
          break
        case 'ack':
          this.acks.set(m.opId, m.seq)
          this.maxSeq = Math.max(this.maxSeq, m.seq)
          break
        case 'error':
          this.errors.push(m.opId === undefined ? m : { code: m.code, message: m.message, opId: m.opId })
          break
        case 'object-created':
        case 'object-updated':
        case 'object-deleted':
          this.seqs?.push(m.seq)
          this.maxSeq = Math.max(this.maxSeq, m.seq)
          break
        case 'cursors':
        case 'selections':
        case 'pong':
        case 'user-connected':
        case 'user-disconnected':
        case 'canvas-updated':
        case 'previews':
        case 'viewports':
        case 'role-changed':
          break
        default:
          m satisfies never
      }
      this.onMessage?.(m, at)
    }
    this.wake()
  }

  private wake(): void {
    for (const check of [...this.waiters]) check()
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/** Resolves on 'open'; rejects with the HTTP status when the upgrade is refused. */
export function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_req, res) => {
      reject(new UpgradeRefused(res.statusCode ?? 0))
      socket.terminate()
    })
    socket.once('error', reject)
  })
}

export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused: ${status}`)
  }
}

/** Application-level round trip: `{"type":"ping","t"}` → the matching pong, in ms. */
export async function pingRoundTrip(client: CountingClient, t: number, timeoutMs = 10_000): Promise<number> {
  const start = performance.now()
  let seen = false
  const previous = client.onMessage
  client.onMessage = (m, at) => {
    previous?.(m, at)
    if (m.type === 'pong' && m.t === t) seen = true
  }
  try {
    client.send({ type: 'ping', t })
    await client.until(() => seen, timeoutMs, `pong ${t}`)
    return performance.now() - start
  } finally {
    client.onMessage = previous
  }
}

export interface TimedOp {
  /** performance.now() when the op was sent. */
  at: number
  ms: number
}

/** One op at a time, each waiting for its ack: the latency a member sees [W3, W5]. */
export async function timedOps(
  client: CountingClient,
  label: string,
  keepGoing: (n: number) => boolean,
  /** At most one op per this many ms: a member editing, not a flood of its own. */
  minIntervalMs = 0,
): Promise<TimedOp[]> {
  const samples: TimedOp[] = []
  for (let n = 0; keepGoing(n); n++) {
    const last = samples.at(-1)
    const wait = last === undefined ? 0 : last.at + minIntervalMs - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const opId = `${label}-${n}`
    const at = performance.now()
    const send = () =>
      client.send({
        type: 'object-create',
        opId,
        object: { id: opId, type: 'rect', x: n, y: 0, width: 1, height: 1 },
      })
    send()
    // On a quiet machine acks come fast enough for a client waiting on each to pass the per-socket
    // budgets (500 ops/s): a refused op is sent again after a pause, as the web client does.
    const refused = () => client.errors.filter((e) => e.opId === opId && e.code === 'rate_limited').length
    let resent = 0
    for (;;) {
      await client.until(() => client.acks.has(opId) || refused() > resent, 20_000, `ack of ${opId}`)
      if (client.acks.has(opId)) break
      resent += 1
      await new Promise((resolve) => setTimeout(resolve, 20))
      send()
    }
    samples.push({ at, ms: performance.now() - at })
  }
  return samples
}

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits))

const MiB = 1024 * 1024

let gcFunction: (() => void) | undefined
/**
 * A full garbage collection, so heap and RSS comparisons measure what is retained, not what
 * is merely not collected yet. The test runner starts workers without --expose-gc; the flag can
 * still be set at run time and the function taken from a fresh context.
 */
export function forceGc(): void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc')
    gcFunction = runInNewContext('gc') as () => void
  }
  gcFunction()
}

export interface MemorySample {
  rssMb: number
  heapMb: number
}

export function memory(): MemorySample {
  const m = process.memoryUsage()
  return { rssMb: m.rss / MiB, heapMb: m.heapUsed / MiB }
}

/**
 * Samples memory every `intervalMs` until stopped and keeps the peaks: growth that is freed
 * again before the end of a test still counts. Sampling only, never synchronisation.
 */
export function memoryPeaks(intervalMs = 20): { stop(): MemorySample } {
  const peak = memory()
  const timer = setInterval(() => {
    const m = memory()
    peak.rssMb = Math.max(peak.rssMb, m.rssMb)
    peak.heapMb = Math.max(peak.heapMb, m.heapMb)
  }, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      const m = memory()
      return { rssMb: Math.max(peak.rssMb, m.rssMb), heapMb: Math.max(peak.heapMb, m.heapMb) }
    },
  }
}

/**
 * Collects unhandled rejections and uncaught exceptions while a test runs: the server shares
 * the test's process, so one of them is the server failing [W1].
 */
export function watchProcessFailures(): { failures: unknown[]; dispose(): void } {
  const failures: unknown[] = []
  const onFailure = (reason: unknown) => failures.push(reason)
  process.on('unhandledRejection', onFailure)
  process.on('uncaughtException', onFailure)
  return {
    failures,
    dispose() {
      process.off('unhandledRejection', onFailure)
      process.off('uncaughtException', onFailure)
    },
  }
}

/** Measured numbers in the test output, one line, so runs can be compared. */
export function reportNumbers(id: string, numbers: Record<string, unknown>): void {
  process.stdout.write(`[${id}] measured ${JSON.stringify(numbers)}\n`)
}

export interface LogRow {
  canvasId: string
  seq: number
  opId: string
  userId: string
}

/** Every op_log row, read through a second connection to the server's database file. */
export function readOpLogRows(server: TestServer): LogRow[] {
  const db = new Database(path.join(server.dataDir, SQLITE_FILE_NAME), { readonly: true })
  try {
    return db
      .prepare('SELECT canvas_id AS canvasId, seq, op_id AS opId, user_id AS userId FROM op_log ORDER BY seq')
      .all() as LogRow[]
  } finally {
    db.close()
  }
}

/** A gauge or counter of the server's metrics registry, summed over `labels` when given. */
export async function metricValue(
  server: TestServer,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = server.deps.metrics.registry.getSingleMetric(name)
  if (!metric) throw new Error(`no metric ${name}`)
  const { values } = await metric.get()
  let sum = 0
  for (const v of values) {
    const l = v.labels as Record<string, string | number | undefined>
    if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) sum += v.value
  }
  return sum
}

/** Yields to the event loop once, so the in-process server reads what the test just wrote. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export interface SendBufferWatch {
  /** The largest `bufferedAmount` seen right after a send. */
  maxBufferedBytes: number
  /** The largest single frame sent. */
  largestFrameBytes: number
  stop(): void
}

/**
 * Observes a server-side socket's send buffer after every send, instead of sampling it on a
 * timer (which misses the peak): the exact high-water mark the slow-consumer cap allowed [W4].
 */
export function watchSendBuffer(socket: WebSocket): SendBufferWatch {
  const original = socket.send.bind(socket) as (...args: unknown[]) => void
  const watch: SendBufferWatch = {
    maxBufferedBytes: 0,
    largestFrameBytes: 0,
    // The watcher is an own property over the prototype's send: removing it restores send.
    stop: () => void Reflect.deleteProperty(socket, 'send'),
  }
  const watched = (...args: unknown[]) => {
    const data = args[0]
    const size = typeof data === 'string' ? Buffer.byteLength(data) : Buffer.isBuffer(data) ? data.length : 0
    watch.largestFrameBytes = Math.max(watch.largestFrameBytes, size)
    original(...args)
    watch.maxBufferedBytes = Math.max(watch.maxBufferedBytes, socket.bufferedAmount)
  }
  socket.send = watched as WebSocket['send']
  return watch
}

/**
 * `npm run bench:web` — frame times of the web editor in headless Chromium while other people
 * work on the same canvas.
 *
 * The built server (`node dist/server/main.js serve`, a child process on a loopback port, a temp
 * DATA_DIR) gets an owner and --remote-users (20) editors over the HTTP API, and a canvas with
 * --objects (2,000) shapes created over the owner's WebSocket. Debian's Chromium (CHROME_PATH or
 * /usr/bin/chromium, the flags of test/e2e: headless, no GPU, so software rendering) opens the
 * canvas as the owner at --width × --height. The remote users are `ws` clients in this process.
 * Three scenarios, each measured for --seconds after --warmup, in --runs rounds (alternating):
 *
 *   idle      the page with the 2,000 objects, nobody else moving: the floor (vsync, timers);
 *   cursors   every remote user moves its cursor at --cursor-hz (30) on its own circle;
 *   edits     the same, and one remote user also moves objects at --edit-hz (30 updates/s);
 *   drags     cursors, and --drags (5) remote users each drag an object live: a `preview` of it
 *             at its cursor with every cursor move (issue 28, ED-L1), nothing committed.
 *
 * Frame times are requestAnimationFrame deltas measured in the page (page.evaluate). Chromium
 * stamps a frame with its vsync time, so a delta is 16.67 ms per frame shown (± jitter) and a
 * multiple of it when frames were dropped. Reported per scenario: p50/p95/p99/max frame time,
 * fps, the share of frames over 1.5 vsync intervals (dropped), the main thread's time per frame
 * (from its vsync to the first task after its rendering update: how much of the budget is
 * used, tasks queued before it included), long tasks, what the page received over its socket
 * during the window, and CPU (% of one core) of the server, of Chromium (all its processes), of
 * this process (the load generator: the ws clients) and of the rest of the machine. Medians
 * over the runs. Target (from the issue): p95 frame time < 16.7 ms, read as "the p95 frame is
 * one vsync interval" (≤ 16.67 ms + 0.5 ms jitter): a smooth page measures 16.7–16.8 there.
 *
 * Run:  npm run bench:web
 *       node bench/webFrames.mjs [--runs 3] [--seconds 10] [--warmup 2] [--objects 2000]
 *                                [--remote-users 20] [--cursor-hz 30] [--edit-hz 30] [--drags 5]
 *                                [--width 1440] [--height 900] [--profile] [--trace]
 *                                [--quiet-wait 30] [--quiet-below 20] [--max-others 25] [--noisy-retries 2]
 *       (needs a build: dist/server/main.js and dist/web; npm run bench:web builds first)
 * Writes bench/results/web-frames.json.
 */
/* global requestAnimationFrame, PerformanceObserver, MessageChannel -- measureFramesInPage runs in the page */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { apiRequest, closeApiAgent, inParallel, shareAsEditor } from './lib/api.mjs'
import { NOISE_FLAGS, measureQuietly, noisePolicy } from './lib/noise.mjs'
import { machineBusySeconds, processCpuSeconds, selfCpuSeconds, startServer } from './lib/proc.mjs'
import { commandLine, machine, table, writeJson } from './lib/report.mjs'
import { median, round } from './lib/stats.mjs'
import { closeAll, openAuthenticated } from './lib/wsClient.mjs'

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const TARGET_P95_MS = 16.7
/** One frame at 60 Hz; a delta over 1.5 of these means a vsync was missed (a dropped frame). */
const VSYNC_MS = 1000 / 60
/** How far a frame delta strays from the vsync interval with no frame missed (timer jitter). */
const JITTER_MS = 0.5
/** The flags the e2e tests launch Chromium with (test/e2e/support/launchChromium.ts). */
const CHROMIUM_ARGS = JSON.parse(
  readFileSync(new URL('../test/e2e/support/chromiumArgs.json', import.meta.url), 'utf8'),
)
const PASSWORD = 'bench password 1234'
/** Objects in the grid per row, and the grid's pitch (world units). */
const COLUMNS = 50
const PITCH = 60

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    objects: { type: 'string', default: '2000' },
    'remote-users': { type: 'string', default: '20' },
    'cursor-hz': { type: 'string', default: '30' },
    'edit-hz': { type: 'string', default: '30' },
    drags: { type: 'string', default: '5' },
    width: { type: 'string', default: '1440' },
    height: { type: 'string', default: '900' },
    profile: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    ...NOISE_FLAGS,
  },
})
const positive = (name, min = 1) => {
  const v = Number(flags[name])
  if (!Number.isFinite(v) || v < min)
    throw new Error(`--${name} must be a number ≥ ${min}, got "${flags[name]}"`)
  return v
}
const config = {
  runs: positive('runs'),
  seconds: positive('seconds'),
  warmupSeconds: positive('warmup', 0),
  objects: positive('objects'),
  remoteUsers: positive('remote-users'),
  cursorHz: positive('cursor-hz'),
  editHz: positive('edit-hz'),
  drags: positive('drags', 0),
  viewport: { width: positive('width', 320), height: positive('height', 240) },
}
const noise = noisePolicy(flags)

const chromePath = process.env.CHROME_PATH ?? '/usr/bin/chromium'
if (!existsSync(chromePath)) {
  console.error(
    `bench:web: Chromium not found at ${chromePath} : apt-get install -y chromium (or set CHROME_PATH)`,
  )
  process.exit(1)
}
for (const built of [path.join('dist', 'server', 'main.js'), path.join('dist', 'web', 'index.html')]) {
  if (!existsSync(path.join(ROOT, built))) {
    console.error(`bench:web: ${built} is missing; run npm run build first (npm run bench:web does)`)
    process.exit(1)
  }
}

const log = (...args) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args)

// ---- CPU of the browser: every process below ours but the server ------------------------------

/** The pids of every descendant of `pid` (Linux /proc; threads' children included). */
function descendants(pid) {
  const found = []
  const read = (file) => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return '' // the process or thread is gone
    }
  }
  const visit = (p) => {
    let tasks
    try {
      tasks = readdirSync(`/proc/${p}/task`)
    } catch {
      return
    }
    for (const tid of tasks) {
      for (const child of read(`/proc/${p}/task/${tid}/children`).split(' ').filter(Boolean).map(Number)) {
        found.push(child)
        visit(child)
      }
    }
  }
  visit(pid)
  return found
}

function cpuOf(pids) {
  let total = 0
  for (const pid of pids) {
    try {
      total += processCpuSeconds(pid)
    } catch {
      // gone meanwhile
    }
  }
  return total
}

/** CPU between start and stop, % of one core: server, Chromium, this process (the generator), the rest. */
function cpuMeter(serverPid) {
  const t0 = process.hrtime.bigint()
  const browser0 = new Map(
    descendants(process.pid)
      .filter((p) => p !== serverPid)
      .map((p) => [p, cpuOf([p])]),
  )
  const server0 = processCpuSeconds(serverPid)
  const self0 = selfCpuSeconds()
  const busy0 = machineBusySeconds()
  return {
    stop() {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      const pct = (s) => (s / seconds) * 100
      // Chromium keeps its processes for the page's lifetime: those alive at both ends count.
      let browserSeconds = 0
      for (const pid of descendants(process.pid))
        if (browser0.has(pid)) browserSeconds += cpuOf([pid]) - browser0.get(pid)
      const server = pct(processCpuSeconds(serverPid) - server0)
      const browser = pct(browserSeconds)
      const generator = pct(selfCpuSeconds() - self0)
      const machineTotal = pct(machineBusySeconds() - busy0)
      return {
        server: round(server, 0),
        chromium: round(browser, 0),
        generator: round(generator, 0),
        machine: round(machineTotal, 0),
        otherProcesses: round(Math.max(0, machineTotal - server - browser - generator), 0),
      }
    },
  }
}

// ---- what was measured -------------------------------------------------------------------------

function codeRevision() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    } catch {
      return null
    }
  }
  const builtAt = (file) => (existsSync(file) ? statSync(file).mtime.toISOString() : null)
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    srcChangedSinceCommit: (git('status', '--porcelain', '--', 'src') ?? '') !== '',
    serverBuiltAt: builtAt(path.join(ROOT, 'dist', 'server', 'main.js')),
    webBuiltAt: builtAt(path.join(ROOT, 'dist', 'web', 'index.html')),
  }
}

// ---- setup: users, canvas, objects ---------------------------------------------------------------

const stamp = `${process.pid}-${Date.now().toString(36)}`
const emailOf = (name) => `${name}-${stamp}@bench.test`

async function register(baseUrl, name) {
  const body = await apiRequest(baseUrl, 'POST', '/api/register', {
    body: { email: emailOf(name), username: name, password: PASSWORD },
  })
  return { id: body.user.id, name, email: body.user.email, token: body.sessionId }
}

function objectAt(i) {
  const type = ['rect', 'ellipse', 'rect', 'text'][i % 4]
  const fills = ['#dbe4ff', '#ffdbdc', '#e9f6e9', '#ffefd6', '#e6f4fe']
  return {
    id: `o${i}`,
    type,
    x: (i % COLUMNS) * PITCH,
    y: Math.floor(i / COLUMNS) * PITCH,
    width: 48,
    height: 40,
    rotation: 0,
    fill: type === 'text' ? '#1c2024' : fills[i % fills.length],
    stroke: '#1c2024',
    strokeWidth: 1,
    opacity: 1,
    zIndex: i,
    ...(type === 'text' ? { text: `T${i}`, fontSize: 14 } : {}),
  }
}

const framesOf = (data) => {
  const m = JSON.parse(String(data))
  return m.type === 'batch' ? m.messages : [m]
}

/**
 * Creates the objects over one socket in chunks, each chunk's acks awaited: the server's op
 * bucket (1,000, +500/s per socket) is never emptied, so nothing is refused.
 */
async function createObjects(wsUrl, canvasId, owner, count) {
  const { ws } = await openAuthenticated({ url: `${wsUrl}/ws/${canvasId}`, token: owner.token })
  const waiting = new Map()
  ws.on('message', (data) => {
    for (const m of framesOf(data)) {
      if (m.type === 'ack') waiting.get(m.opId)?.resolve()
      else if (m.type === 'error') waiting.get(m.opId)?.reject(new Error(`${m.code}: ${m.message}`))
    }
  })
  const CHUNK = 250
  for (let start = 0; start < count; start += CHUNK) {
    const chunkStarted = Date.now()
    const acks = []
    for (let i = start; i < Math.min(count, start + CHUNK); i++) {
      const opId = `create-${i}`
      acks.push(new Promise((resolve, reject) => waiting.set(opId, { resolve, reject })))
      ws.send(JSON.stringify({ type: 'object-create', opId, object: objectAt(i) }))
    }
    await Promise.all(acks)
    // Pacing, not synchronisation: at most 500 creates a second, the bucket's refill rate.
    await delay(Math.max(0, (CHUNK / 500) * 1000 - (Date.now() - chunkStarted)))
  }
  await closeAll([ws])
}

// ---- load: remote cursors and edits --------------------------------------------------------------

/** Where remote user `i` is at time `t` (s): its own circle over the grid, its own speed. */
function cursorAt(i, t, gridWidth, gridHeight) {
  const cx = gridWidth * (0.2 + (0.6 * ((i * 7919) % 100)) / 100)
  const cy = gridHeight * (0.2 + (0.6 * ((i * 104729) % 100)) / 100)
  const r = Math.min(gridWidth, gridHeight) * (0.08 + 0.01 * (i % 10))
  const w = 0.6 + 0.07 * i
  return { x: Math.round(cx + r * Math.cos(w * t + i)), y: Math.round(cy + r * Math.sin(w * t + i)) }
}

let editCount = 0

/**
 * Starts the load: every remote user sends `cursor` at cursorHz (each with its own phase); with
 * `edits`, user 0 also sends `object-update` at editHz, moving objects near its cursor a little.
 * Open loop on one timer: a late tick sends what is due, so a slow generator does not lower
 * the offered rate. Returns stop(), which resolves with what was sent and acked.
 */
function startLoad(remotes, { edits, drags, objects }) {
  const gridWidth = COLUMNS * PITCH
  const gridHeight = Math.ceil(objects / COLUMNS) * PITCH
  const t0 = performance.now()
  const cursorPeriod = 1000 / config.cursorHz
  const editPeriod = 1000 / config.editHz
  const nextCursor = remotes.map((_, i) => t0 + (cursorPeriod * i) / remotes.length)
  let nextEdit = t0
  const counts = { cursorsSent: 0, previewsSent: 0, editsSent: 0, editsAcked: 0, errors: 0 }
  // opIds are unique across loads: the server acks a repeated opId again without applying it.
  const onFrame = (data) => {
    for (const m of framesOf(data)) {
      if (m.type === 'ack') counts.editsAcked++
      else if (m.type === 'error') counts.errors++
    }
  }
  remotes[0].ws.on('message', onFrame)
  const tick = () => {
    const now = performance.now()
    for (let i = 0; i < remotes.length; i++) {
      while (nextCursor[i] <= now) {
        const at = cursorAt(i, (nextCursor[i] - t0) / 1000, gridWidth, gridHeight)
        remotes[i].ws.send(JSON.stringify({ type: 'cursor', ...at }))
        counts.cursorsSent++
        // A live drag: the dragger's object follows its cursor, previewed, never stored.
        if (drags && i >= 1 && i <= config.drags) {
          const o = objectAt((i * 97) % objects)
          remotes[i].ws.send(JSON.stringify({ type: 'preview', objects: [{ id: o.id, x: at.x, y: at.y }] }))
          counts.previewsSent++
        }
        nextCursor[i] += cursorPeriod
      }
    }
    while (edits && nextEdit <= now) {
      const k = ++editCount
      const i = (k * 37) % objects
      const o = objectAt(i)
      remotes[0].ws.send(
        JSON.stringify({
          type: 'object-update',
          opId: `edit-${stamp}-${k}`,
          id: o.id,
          changes: { x: o.x + (k % 2) * 6 },
        }),
      )
      counts.editsSent++
      nextEdit += editPeriod
    }
  }
  const timer = setInterval(tick, 4)
  return {
    stop() {
      clearInterval(timer)
      remotes[0].ws.off('message', onFrame)
      return counts
    },
  }
}

// ---- measuring in the page -------------------------------------------------------------------------

/**
 * Runs in the page: requestAnimationFrame deltas for `seconds` (frame times), and per frame the
 * main thread's time from the frame's start (the rAF timestamp) to the first task after its
 * rendering update (a MessageChannel message posted from the rAF callback): every rAF callback
 * (Konva's layer draws, the cursor glide), style, layout and paint, plus any task that got in
 * first (socket messages, React renders). And the long tasks (> 50 ms) meanwhile.
 */
function measureFramesInPage(seconds) {
  return new Promise((resolve) => {
    const deltas = []
    const work = []
    const longTasks = []
    let observer
    try {
      observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push(e.duration)
      })
      observer.observe({ type: 'longtask' })
    } catch {
      observer = undefined
    }
    const channel = new MessageChannel()
    let frameStart
    channel.port1.onmessage = () => work.push(performance.now() - frameStart)
    let last
    const start = performance.now()
    const tick = (now) => {
      if (last !== undefined) deltas.push(now - last)
      last = now
      frameStart = now
      channel.port2.postMessage(0)
      if (now - start < seconds * 1000) requestAnimationFrame(tick)
      else {
        observer?.disconnect()
        channel.port1.close()
        resolve({ deltas, work, longTasks, elapsedMs: now - start })
      }
    }
    requestAnimationFrame(tick)
  })
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? null),
  }
}

function summarize({ deltas, work, longTasks, elapsedMs }) {
  return {
    frames: deltas.length,
    fps: round((deltas.length / elapsedMs) * 1000, 1),
    frameMs: percentiles(deltas),
    mainThreadMsPerFrame: percentiles(work),
    droppedFramesPercent: round(
      (deltas.filter((d) => d > 1.5 * VSYNC_MS).length / Math.max(1, deltas.length)) * 100,
      1,
    ),
    longTasks: {
      count: longTasks.length,
      totalMs: round(
        longTasks.reduce((a, b) => a + b, 0),
        0,
      ),
    },
  }
}

// ---- --profile: where the page's main thread spends its time ------------------------------------

/**
 * A CPU profile of the page's main thread over the measured window (CDP Profiler): the functions
 * with the most self time, in ms per second of the window, with their script position.
 */
async function startProfiler(page) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  await cdp.send('Profiler.start')
  return {
    async stop(elapsedMs) {
      const { profile } = await cdp.send('Profiler.stop')
      await cdp.detach()
      const selfUs = new Map()
      const byId = new Map(profile.nodes.map((n) => [n.id, n]))
      const deltas = profile.timeDeltas
      for (let i = 0; i < profile.samples.length; i++) {
        const node = byId.get(profile.samples[i])
        const f = node.callFrame
        const key = `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}`
        selfUs.set(key, (selfUs.get(key) ?? 0) + (deltas[i + 1] ?? 0))
      }
      const perSecond = (us) => round(us / 1000 / (elapsedMs / 1000), 2)
      return [...selfUs]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([key, us]) => `  ${String(perSecond(us)).padStart(7)} ms/s  ${key}`)
        .join('\n')
    },
  }
}

// ---- --trace: what the renderer's main thread does, by trace event ---------------------------------

const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink']

/**
 * Time per second of the window in each trace event on the page's main thread (CrRendererMain),
 * self time (children subtracted), the top 20: layout, paint, canvas, script, GC…
 */
function traceSummary(buffer, elapsedMs) {
  const events = JSON.parse(buffer.toString('utf8')).traceEvents
  const mains = new Set(
    events
      .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  )
  const complete = events
    .filter((e) => e.ph === 'X' && typeof e.dur === 'number' && mains.has(`${e.pid}:${e.tid}`))
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur)
  const selfUs = new Map()
  const stack = []
  for (const e of complete) {
    while (stack.length > 0 && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop()
    const parent = stack.at(-1)
    if (parent) selfUs.set(parent.name, (selfUs.get(parent.name) ?? 0) - e.dur)
    selfUs.set(e.name, (selfUs.get(e.name) ?? 0) + e.dur)
    stack.push(e)
  }
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([name, us]) => `  ${String(round(us / 1000 / (elapsedMs / 1000), 2)).padStart(7)} ms/s  ${name}`)
    .join('\n')
}

// ---- the run -------------------------------------------------------------------------------------

const SCENARIOS = ['idle', 'cursors', 'edits', 'drags']

async function main() {
  const startedAt = new Date()
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-bench-web-'))
  let server
  let browser
  const sockets = []
  try {
    server = await startServer({
      name: 'collabcanvas',
      args: [path.join(ROOT, 'dist', 'server', 'main.js'), 'serve'],
      env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn', REGISTRATIONS_PER_HOUR: '1000000' },
    })
    log(`server on ${server.baseUrl} (pid ${server.pid})`)

    // Accounts: argon2id costs ~50-100 ms of CPU each; 4 at a time.
    const names = ['owner', ...Array.from({ length: config.remoteUsers }, (_, i) => `peer${i + 1}`)]
    const users = await inParallel(names, 4, (name) => register(server.baseUrl, name))
    const [owner, ...peers] = users
    const { canvas } = await apiRequest(server.baseUrl, 'POST', '/api/canvases', {
      token: owner.token,
      body: { name: `Frames ${config.objects}` },
    })
    await inParallel(peers, 4, (peer) => shareAsEditor(server.baseUrl, owner.token, canvas.id, peer))
    log(`${users.length} users, canvas ${canvas.id}; creating ${config.objects} objects`)
    await createObjects(server.wsUrl, canvas.id, owner, config.objects)

    browser = await chromium.launch({ executablePath: chromePath, args: CHROMIUM_ARGS })
    const context = await browser.newContext({ viewport: config.viewport })
    await context.addCookies([{ name: 'session', value: owner.token, url: server.baseUrl }])
    const page = await context.newPage()
    const pageErrors = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    // What reaches the page over its socket, counted per measurement window.
    const received = { frames: 0, cursorPositions: 0, objectUpdates: 0 }
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        received.frames++
        for (const m of framesOf(payload)) {
          if (m.type === 'cursors') received.cursorPositions += m.cursors.length
          else if (m.type === 'object-updated') received.objectUpdates++
        }
      }),
    )
    const loadStarted = Date.now()
    await page.goto(`${server.baseUrl}/canvas/${canvas.id}`)
    await page
      .locator(`[data-testid="canvas-stage"][data-object-count="${config.objects}"]`)
      .waitFor({ timeout: 60_000 })
    const loadMs = Date.now() - loadStarted
    const zoom = await page.getByTestId('canvas-stage').getAttribute('data-zoom')
    log(`page shows ${config.objects} objects after ${loadMs} ms (zoom ${zoom})`)

    for (const peer of peers) {
      const { ws } = await openAuthenticated({ url: `${server.wsUrl}/ws/${canvas.id}`, token: peer.token })
      ws.on('error', () => {})
      sockets.push(ws)
    }
    const remotes = sockets.map((ws, i) => ({ ws, user: peers[i] }))
    const browserVersion = browser.version()

    const runs = []
    for (let pass = 0; pass < config.runs; pass++) {
      // Alternate the order run by run, so a drift in machine load does not favour one scenario.
      const order = pass % 2 === 0 ? SCENARIOS : [...SCENARIOS].reverse()
      for (const scenario of order) {
        const result = await measureQuietly(
          async () => {
            const load =
              scenario === 'idle'
                ? undefined
                : startLoad(remotes, {
                    edits: scenario === 'edits',
                    drags: scenario === 'drags',
                    objects: config.objects,
                  })
            if (load)
              await page
                .locator('[data-testid="remote-cursor"]')
                .nth(config.remoteUsers - 1)
                .waitFor({ timeout: 10_000 })
            // Warm-up: the load reaches a steady state (cursor glides running, layers redrawing).
            await delay(config.warmupSeconds * 1000)
            const before = { ...received }
            const meter = cpuMeter(server.pid)
            const profiler = flags.profile ? await startProfiler(page) : undefined
            if (flags.trace) await browser.startTracing(page, { categories: TRACE_CATEGORIES })
            const frames = await page.evaluate(measureFramesInPage, config.seconds)
            const cpuPercent = meter.stop()
            if (flags.trace)
              log(
                `${scenario} main-thread trace:\n${traceSummary(await browser.stopTracing(), frames.elapsedMs)}`,
              )
            if (profiler) log(`${scenario} main-thread profile:\n${await profiler.stop(frames.elapsedMs)}`)
            const sent = load?.stop()
            const window = frames.elapsedMs / 1000
            const perSecond = (key) => round((received[key] - before[key]) / window, 0)
            return {
              scenario,
              run: pass + 1,
              ...summarize(frames),
              pageReceivedPerSecond: {
                frames: perSecond('frames'),
                cursorPositions: perSecond('cursorPositions'),
                objectUpdates: perSecond('objectUpdates'),
              },
              sent: sent ?? null,
              cpuPercent,
            }
          },
          noise,
          (r) => r.cpuPercent.otherProcesses,
          log,
        )
        log(
          `${scenario.padEnd(7)} run ${pass + 1}: p50 ${result.frameMs.p50} p95 ${result.frameMs.p95} p99 ${result.frameMs.p99} ms, ${result.fps} fps, dropped ${result.droppedFramesPercent} %, cpu chromium ${result.cpuPercent.chromium} % server ${result.cpuPercent.server} % generator ${result.cpuPercent.generator} % others ${result.cpuPercent.otherProcesses} %`,
        )
        runs.push(result)
        // Let cursors stop gliding and the page settle before the next scenario.
        if (scenario !== 'idle') await delay(500)
      }
    }

    const summary = {}
    for (const scenario of SCENARIOS) {
      const mine = runs.filter((r) => r.scenario === scenario)
      const med = (get) => round(median(mine.map(get)))
      const medians = (key) => ({
        p50: med((r) => r[key].p50),
        p95: med((r) => r[key].p95),
        p99: med((r) => r[key].p99),
        max: med((r) => r[key].max),
      })
      const frameMs = medians('frameMs')
      const mainThreadMsPerFrame = medians('mainThreadMsPerFrame')
      summary[scenario] = {
        frameMs,
        mainThreadMsPerFrame,
        fps: med((r) => r.fps),
        droppedFramesPercent: med((r) => r.droppedFramesPercent),
        longTasks: med((r) => r.longTasks.count),
        cpuPercent: {
          chromium: med((r) => r.cpuPercent.chromium),
          server: med((r) => r.cpuPercent.server),
          generator: med((r) => r.cpuPercent.generator),
          otherProcesses: med((r) => r.cpuPercent.otherProcesses),
        },
        pageReceivedPerSecond: {
          cursorPositions: med((r) => r.pageReceivedPerSecond.cursorPositions),
          objectUpdates: med((r) => r.pageReceivedPerSecond.objectUpdates),
        },
        noisyRuns: mine.filter((r) => r.noise.noisy).length,
        // rAF deltas come in whole vsync intervals (16.67 ms at 60 Hz) plus timer jitter, so a
        // page that never misses a frame has a p95 of 16.7 ± a few tenths: "p95 < 16.7 ms" is
        // read as "the p95 frame is one vsync interval", at most VSYNC_MS + JITTER_MS.
        targetMet: frameMs.p95 <= VSYNC_MS + JITTER_MS,
      }
    }

    console.log()
    const yes = (ok) => (ok ? 'yes' : 'NO')
    console.log(
      table(
        [
          'scenario',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'max ms',
          'fps',
          'dropped %',
          'main p95 ms',
          'chromium %',
          'server %',
          'generator %',
          'others %',
          'target',
        ],
        SCENARIOS.map((s) => {
          const r = summary[s]
          return [
            s,
            r.frameMs.p50,
            r.frameMs.p95,
            r.frameMs.p99,
            r.frameMs.max,
            r.fps,
            r.droppedFramesPercent,
            r.mainThreadMsPerFrame.p95,
            r.cpuPercent.chromium,
            r.cpuPercent.server,
            r.cpuPercent.generator,
            r.cpuPercent.otherProcesses,
            yes(r.targetMet),
          ]
        }),
      ),
    )
    if (pageErrors.length > 0) console.log(`page errors: ${pageErrors.join(' | ')}`)

    const file = await writeJson('web-frames.json', {
      bench: 'web-frames',
      command: 'npm run bench:web',
      commandLine: commandLine(),
      date: startedAt.toISOString(),
      machine: machine(),
      revision: codeRevision(),
      browser: {
        executable: chromePath,
        version: browserVersion,
        args: CHROMIUM_ARGS,
        rendering: 'software (--disable-gpu, headless)',
        viewport: config.viewport,
        deviceScaleFactor: 1,
      },
      config: { ...config, noise },
      target: {
        p95FrameMs: TARGET_P95_MS,
        rule: 'p95 of the rAF deltas within one 60 Hz vsync interval: <= 16.67 ms + 0.5 ms timer jitter',
        vsyncMs: round(VSYNC_MS),
        jitterMs: JITTER_MS,
      },
      pageLoadMs: loadMs,
      zoom: Number(zoom),
      pageErrors,
      summary,
      runs,
    })
    log(`wrote ${path.relative(process.cwd(), file)}`)
  } finally {
    await closeAll(sockets).catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop().catch(() => {})
    closeApiAgent()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})

/**
 * Child processes under test: start a server on a free loopback port, wait until it answers
 * GET /health, read its CPU time and RSS from /proc, stop it.
 *
 * Not run directly; imported by bench/httpHealth.mjs and bench/wsBench.mjs.
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { clearTimeout, setTimeout } from 'node:timers'
import { setTimeout as delay } from 'node:timers/promises'

export const LOOPBACK = '127.0.0.1'

let clockTicks
/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond()
}

/** Resident memory of a process in bytes: current (VmRSS) and peak since start (VmHWM). */
export function processRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)
    return m ? Number(m[1]) * 1024 : null
  }
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

/** CPU seconds used by this process (all threads), from process.cpuUsage. */
export function selfCpuSeconds() {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/**
 * CPU seconds all cores of the machine have spent in processes (user + nice + system). Interrupt
 * and softirq time is left out: much of it is the loopback traffic of the bench itself, which
 * the kernel charges to no process.
 */
export function machineBusySeconds() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  return (cpu[0] + cpu[1] + cpu[2]) / ticksPerSecond()
}

/**
 * CPU use between start() and stop(), as % of one core (200 % = both cores of this machine):
 * of each process in `pids`, of this process (the load generator), and of everything else on
 * the machine (`others`: other people's work skews a run; a high value marks a noisy one).
 */
export function cpuMeter(pids) {
  const t0 = process.hrtime.bigint()
  const before = new Map(pids.map((pid) => [pid, processCpuSeconds(pid)]))
  const self0 = selfCpuSeconds()
  const busy0 = machineBusySeconds()
  return {
    stop() {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      const pct = (cpuSeconds) => (cpuSeconds / seconds) * 100
      const servers = {}
      for (const pid of pids) servers[pid] = pct(processCpuSeconds(pid) - before.get(pid))
      const generator = pct(selfCpuSeconds() - self0)
      const machine = pct(machineBusySeconds() - busy0)
      const ours = generator + Object.values(servers).reduce((a, b) => a + b, 0)
      return { seconds, servers, generator, machine, others: Math.max(0, machine - ours) }
    },
  }
}

/**
 * Waits (bounded) for the machine to be quiet before a measured run: samples the whole
 * machine's busy CPU over 1 s until it is below `maxBusyPercent` (% of one core) or
 * `timeoutSeconds` have passed. Other people's builds and tests share these 2 cores; there is
 * no event for "they are done", so this polls. Returns what it saw, for the record.
 */
export async function waitForQuiet({ maxBusyPercent = 30, timeoutSeconds = 30 } = {}) {
  if (timeoutSeconds <= 0) return { waitedSeconds: 0, busyPercent: null }
  const t0 = Date.now()
  let busy
  for (;;) {
    const before = machineBusySeconds()
    await delay(1_000)
    busy = (machineBusySeconds() - before) * 100
    if (busy <= maxBusyPercent || Date.now() - t0 >= timeoutSeconds * 1000) break
  }
  return { waitedSeconds: Math.round((Date.now() - t0) / 100) / 10, busyPercent: Math.round(busy) }
}

/** A loopback TCP port that was free a moment ago (the kernel picks it). */
export async function freePort() {
  const server = net.createServer()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, LOOPBACK, resolve)
  })
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

function getStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2_000 }, (res) => {
      res.resume()
      resolve(res.statusCode)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
  })
}

const live = new Set()
let reaperInstalled = false
/** No server outlives the bench, also when it is interrupted (Ctrl-C) or fails. */
function installReaper() {
  if (reaperInstalled) return
  reaperInstalled = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      console.error(`interrupted (${signal}): stopping the servers under test`)
      process.exit(130)
    })
}

/**
 * Starts `node <args>` with `env` added to ours and PORT/HOST set to a free loopback port,
 * and resolves once GET /health answers 200. The servers print nothing when they are ready
 * (CollabCanvas logs at warn level here), so readiness is polled: the only wait in the
 * benches that is not an event.
 */
export async function startServer({ name, args, env = {}, readyTimeoutMs = 30_000 }) {
  const port = await freePort()
  // BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' profiles the servers under load
  // (Node refuses --cpu-prof in NODE_OPTIONS); each writes its profile when stopped.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const argv = [process.execPath, ...nodeArgs, ...args]
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, ...env, PORT: String(port), HOST: LOOPBACK },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  installReaper()
  live.add(child)
  child.once('exit', () => live.delete(child))
  // Keep the tail of its output for error messages, and keep the pipes drained.
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8_000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const baseUrl = `http://${LOOPBACK}:${port}`

  const deadline = Date.now() + readyTimeoutMs
  let ready = false
  let early
  const watchExit = exited.then((e) => {
    early = e
  })
  while (!ready && early === undefined && Date.now() < deadline) {
    ready = (await getStatus(`${baseUrl}/health`)) === 200
    if (!ready) await Promise.race([delay(50), watchExit])
  }
  if (!ready) {
    child.kill('SIGKILL')
    const why = early
      ? `exited (code ${early.code}, signal ${early.signal})`
      : 'did not answer /health in time'
    throw new Error(`${name} ${why}; its output:\n${output}`)
  }

  return {
    name,
    pid: child.pid,
    port,
    baseUrl,
    wsUrl: `ws://${LOOPBACK}:${port}`,
    output: () => output,
    exited,
    /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const result = await exited
      clearTimeout(timer)
      return result
    },
  }
}

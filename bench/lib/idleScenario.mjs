/**
 * Scenario (c) of `npm run bench:ws`: idle authenticated connections on one server process and
 * the server's RSS per connection.
 *
 * How it measures
 * - The server is fresh (started for this run). One connection is opened, authenticated and
 *   closed first so lazily loaded code is in; then the server's VmRSS is read ("before").
 * - --conn-procs child processes (bench/lib/idleClients.mjs; each process is limited to 20,000
 *   file descriptors) open the connections, --connect-concurrency at a time each, every one
 *   authenticated (auth-success received), spread over source addresses 127.0.0.2–9.
 * - Once all are open the connections stay idle for --idle-seconds (35 by default: one heartbeat
 *   round of CollabCanvas, whose ping interval is 30 s, and its sweeps run meanwhile); then VmRSS
 *   is read again ("after"). RSS per connection =
 *   (after − before) / connections open. Connections the server closed while idle are counted.
 * - Server CPU while connecting and while idle, from /proc/<pid>/stat.
 *
 * Not run directly; used by bench/wsBench.mjs.
 */
import { fork } from 'node:child_process'
import path from 'node:path'
import { clearTimeout, setTimeout } from 'node:timers'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { cpuMeter, processRss } from './proc.mjs'
import { round } from './stats.mjs'
import { closeAll, openAuthenticated } from './wsClient.mjs'

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'idleClients.mjs')
const MB = 1024 * 1024

/** Sends `msg` to a child and resolves with its next message of type `replyType`. */
function ask(child, msg, replyType) {
  return new Promise((resolve, reject) => {
    const onMessage = (reply) => {
      if (reply.type !== replyType) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(reply)
    }
    const onExit = (code) =>
      reject(new Error(`idle client process exited (code ${code}) before '${replyType}'`))
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.send(msg)
  })
}

/** conns: [{canvasId, token}]. */
export async function runIdle({ wsUrl, serverPid, conns, procs, concurrency, idleSeconds }) {
  // Warm the path once, then take the baseline.
  const warm = await openAuthenticated({ url: `${wsUrl}/ws/${conns[0].canvasId}`, token: conns[0].token })
  await closeAll([warm.ws])
  const before = processRss(serverPid).rss

  const children = Array.from({ length: procs }, () =>
    fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  )
  try {
    const share = Math.ceil(conns.length / procs)
    const childPids = children.map((c) => c.pid)
    const connectMeter = cpuMeter([serverPid, ...childPids])
    const readies = await Promise.all(
      children.map((child, i) =>
        ask(
          child,
          {
            type: 'open',
            url: wsUrl,
            conns: conns.slice(i * share, (i + 1) * share),
            concurrency,
            offset: i * share,
          },
          'ready',
        ),
      ),
    )
    const connectCpu = connectMeter.stop()
    const opened = readies.reduce((n, r) => n + r.opened, 0)
    const failed = readies.reduce((n, r) => n + r.failed, 0)
    const afterConnect = processRss(serverPid).rss

    // The scenario itself: the connections sit idle for a while, RSS sampled meanwhile.
    const idleMeter = cpuMeter([serverPid])
    let rssMax = afterConnect
    const samples = Math.max(1, Math.round(idleSeconds * 4))
    for (let i = 0; i < samples; i++) {
      await delay((idleSeconds * 1000) / samples)
      rssMax = Math.max(rssMax, processRss(serverPid).rss)
    }
    const idleCpu = idleMeter.stop()
    const after = processRss(serverPid)
    const statuses = await Promise.all(children.map((child) => ask(child, { type: 'status' }, 'status')))
    const stillOpen = statuses.reduce((n, s) => n + s.open, 0)
    const closes = {}
    for (const s of statuses)
      for (const [code, n] of Object.entries(s.closes)) closes[code] = (closes[code] ?? 0) + n

    return {
      requested: conns.length,
      opened,
      failed,
      firstError: readies.find((r) => r.firstError)?.firstError ?? null,
      stillOpenAfterIdle: stillOpen,
      closedByServer: closes,
      connectSeconds: round(connectCpu.seconds, 1),
      connectsPerSec: round(opened / connectCpu.seconds, 0),
      idleSeconds,
      rssMB: {
        before: round(before / MB, 1),
        afterConnect: round(afterConnect / MB, 1),
        afterIdle: round(after.rss / MB, 1),
        maxWhileIdle: round(rssMax / MB, 1),
        serverPeak: round(after.peak / MB, 1),
      },
      rssPerConnKB: opened === 0 ? null : round((after.rss - before) / opened / 1024, 2),
      cpuPercent: {
        serverWhileConnecting: round(connectCpu.servers[serverPid], 0),
        generatorWhileConnecting: round(
          connectCpu.generator + childPids.reduce((sum, pid) => sum + connectCpu.servers[pid], 0),
          0,
        ),
        serverWhileIdle: round(idleCpu.servers[serverPid], 1),
        // Everything else on the machine while connecting, the idle clients excluded.
        otherProcessesWhileConnecting: round(connectCpu.others, 0),
      },
    }
  } finally {
    await Promise.all(
      children.map(async (child) => {
        const exited =
          child.exitCode !== null || child.signalCode !== null
            ? Promise.resolve()
            : new Promise((resolve) => child.once('exit', resolve))
        if (child.connected) await ask(child, { type: 'close' }, 'closed').catch(() => undefined)
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }),
    )
  }
}

import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { Gauge } from 'prom-client'
import type { Deps } from '../deps.js'
import { InstanceSampler } from './instanceSampler.js'

/** How often each instance publishes its sample for /admin (the page polls at this pace). */
export const LIVE_STATS_INTERVAL_MS = 2_000
/** How often the triggers queue is counted for /metrics (a COUNT over the events table). */
export const QUEUE_STATS_INTERVAL_MS = 10_000
/** Rows of instances silent for this long are deleted. */
const STALE_INSTANCE_MS = 60 * 60 * 1000

/** A name for this process among the instances sharing the database. */
export function newInstanceId(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
}

/**
 * The operator's view of one instance, started with the app and stopped on close:
 * - every LIVE_STATS_INTERVAL_MS, a sample into the shared instance_stats table (/admin);
 * - every STATS_LOG_INTERVAL_SEC (60 s by default), one structured `stats` log line;
 * - event-loop utilisation and the triggers queue on /metrics (lag comes from prom-client's
 *   default metrics: nodejs_eventloop_lag_*).
 * Failures are logged and retried on the next tick: monitoring never takes the server down.
 */
export function startOpsMonitor(app: FastifyInstance, deps: Deps, instanceId: string): void {
  const { registry } = deps.metrics
  const registers = [registry]
  let lastElu = performance.eventLoopUtilization()
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape (0..1)',
    registers,
    collect() {
      const now = performance.eventLoopUtilization()
      this.set(performance.eventLoopUtilization(now, lastElu).utilization)
      lastElu = now
    },
  })
  const pending = new Gauge({
    name: 'trigger_events_pending',
    help: 'Trigger events not acked yet',
    registers,
  })
  const oldestAge = new Gauge({
    name: 'trigger_events_oldest_pending_seconds',
    help: 'Age of the oldest pending trigger event (0 when none)',
    registers,
  })
  const deliveries = new Gauge({
    name: 'webhook_deliveries',
    help: 'Webhook deliveries by state (pending, failed: pending after a failed attempt, dead: given up)',
    labelNames: ['state'],
    registers,
  })

  const timers: NodeJS.Timeout[] = []
  const every = (ms: number, run: () => Promise<void>, what: string) => {
    let busy = false
    const timer = setInterval(() => {
      if (busy) return
      busy = true
      run()
        .catch((err: unknown) => deps.logger.warn({ err }, `${what} failed`))
        .finally(() => {
          busy = false
        })
    }, ms)
    timer.unref()
    timers.push(timer)
  }

  const feed = new InstanceSampler(registry, instanceId, deps.now)
  let ticks = 0
  every(
    LIVE_STATS_INTERVAL_MS,
    async () => {
      await deps.instanceStats.publish(await feed.sample())
      if (++ticks % 100 === 0) await deps.instanceStats.prune(deps.now() - STALE_INSTANCE_MS)
    },
    'publishing live stats',
  )

  every(
    QUEUE_STATS_INTERVAL_MS,
    async () => {
      const stats = await deps.triggers.stats(undefined)
      pending.set(stats.pending)
      oldestAge.set(stats.oldestPendingAt === undefined ? 0 : (deps.now() - stats.oldestPendingAt) / 1000)
      for (const [state, count] of Object.entries(stats.deliveries)) deliveries.set({ state }, count)
    },
    'counting the triggers queue',
  )

  const logEverySec = deps.config.statsLogIntervalSec
  const log = new InstanceSampler(registry, instanceId, deps.now)
  if (logEverySec > 0) {
    every(
      logEverySec * 1000,
      async () => {
        const { instanceId: _id, ...sample } = await log.sample()
        deps.logger.info({ instanceId, ...sample }, 'stats')
      },
      'the stats log',
    )
  }

  app.addHook('onClose', (_instance, done) => {
    for (const timer of timers) clearInterval(timer)
    feed.close()
    log.close()
    done()
  })
}

import { Gauge, type Registry } from 'prom-client'
import type { QueueStats } from './triggerStore.js'
import type { Triggers } from './triggers.js'

/**
 * The queue stats on /metrics, for every owner together. prom-client collects gauges
 * concurrently, so they share one store read per scrape instead of each making its own.
 */
export function registerTriggerMetrics(registry: Registry, triggers: Triggers, now: () => number): void {
  let shared: { at: number; stats: Promise<QueueStats> } | undefined
  const stats = (): Promise<QueueStats> => {
    const t = now()
    if (shared === undefined || t - shared.at > 1000) shared = { at: t, stats: triggers.stats(undefined) }
    return shared.stats
  }
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: QueueStats) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        // A store that cannot answer leaves the last values: /metrics itself must still answer.
        const s = await stats().catch(() => undefined)
        if (s !== undefined) fill(this, s)
      },
    })
  gauge('triggers_events', 'Trigger API events by inbox status', ['status'], (g, s) => {
    g.set({ status: 'pending' }, s.pending)
    g.set({ status: 'acked' }, s.acked)
  })
  gauge(
    'triggers_webhook_deliveries',
    'Webhook deliveries by state (failed: pending after at least one failed attempt)',
    ['state'],
    (g, s) => {
      for (const [state, n] of Object.entries(s.deliveries)) g.set({ state }, n)
    },
  )
  gauge('triggers_oldest_pending_event_age_seconds', 'Age of the oldest event not yet acked', [], (g, s) =>
    g.set(s.oldestPendingAt === undefined ? 0 : Math.max(0, (now() - s.oldestPendingAt) / 1000)),
  )
  gauge(
    'triggers_ingest_rate_per_second',
    'Events accepted per second over the last minute, this instance',
    [],
    (g, s) => g.set(s.eventsLastMinute / 60),
  )
  gauge(
    'triggers_delivery_rate_per_second',
    'Webhook deliveries per second over the last minute',
    [],
    (g, s) => g.set(s.deliveriesLastMinute / 60),
  )
}

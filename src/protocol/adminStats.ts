/**
 * The body of GET /api/admin/stats (the /admin live metrics page): each instance's latest
 * sample and their sum. Numbers only, no user or canvas identifiers.
 */

/** What one instance reports about the last window: the numbers of the stats log and /admin. */
export interface InstanceSample {
  instanceId: string
  /** Unix ms when the window ended. */
  at: number
  windowSec: number
  connections: number
  rooms: number
  messagesInPerSec: number
  framesOutPerSec: number
  /** Receive-to-durable-commit (what delays the ack), ms; null when no op was committed. */
  ackMs: Percentiles | null
  /** Broadcast-ready to frame-written, ms; null when nothing was fanned out. */
  fanOutMs: Percentiles | null
  rssBytes: number
  heapUsedBytes: number
  eventLoopLagP99Ms: number
  /** Share of the window the event loop was busy, 0..1. */
  eventLoopUtilization: number
}

export interface Percentiles {
  p50: number
  p95: number
  p99: number
}

/** Every instance's numbers folded into one line for the /admin overview. */
export interface AggregateSample {
  instances: number
  connections: number
  rooms: number
  messagesInPerSec: number
  framesOutPerSec: number
  /**
   * The worst instance's percentiles: an upper bound on the cluster's (merging quantiles exactly
   * needs the histograms; Prometheus does that with histogram_quantile over summed buckets).
   */
  ackMs: Percentiles | null
  fanOutMs: Percentiles | null
  rssBytes: number
  heapUsedBytes: number
  eventLoopLagP99Ms: number
  eventLoopUtilization: number
}

export interface AdminStatsBody {
  /** Unix ms when the answering instance read the samples. */
  at: number
  /** Every instance that published within the last few seconds. */
  instances: InstanceSample[]
  total: AggregateSample
  /** The triggers queue: database-wide, so the same whichever instance answers. */
  queue: {
    pendingEvents: number
    oldestPendingAgeSec: number | null
    webhookPending: number
    webhookFailing: number
    webhookDead: number
  }
}

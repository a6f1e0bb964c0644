import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks'
import type { Registry } from 'prom-client'
import type { InstanceSample, Percentiles } from '../../protocol/adminStats.js'
import { windowQuantile, type Bucket } from './histogramQuantile.js'

export type { InstanceSample, Percentiles }

interface Reading {
  at: number
  messagesIn: number
  framesOut: number
  commit: Bucket[]
  fanOut: Bucket[]
  elu: EventLoopUtilization
}

type MetricValue = { value: number; labels: Record<string, string | number>; metricName?: string }

async function values(registry: Registry, name: string): Promise<MetricValue[]> {
  const metric = registry.getSingleMetric(name)
  if (metric === undefined) return []
  return (await metric.get()).values as MetricValue[]
}

const sum = (list: readonly MetricValue[]) => list.reduce((n, v) => n + v.value, 0)

async function buckets(registry: Registry, name: string): Promise<Bucket[]> {
  return (await values(registry, name))
    .filter((v) => v.metricName === `${name}_bucket`)
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits))

function percentilesMs(before: readonly Bucket[], after: readonly Bucket[]): Percentiles | null {
  const at = (q: number) => windowQuantile(before, after, q)
  const p50 = at(0.5)
  if (p50 === undefined) return null
  return {
    p50: round(p50 * 1000, 3),
    p95: round((at(0.95) ?? 0) * 1000, 3),
    p99: round((at(0.99) ?? 0) * 1000, 3),
  }
}

/**
 * Turns the instance's Prometheus metrics (the realtime layer's counters, gauges and histograms)
 * plus the process's memory and event loop into one sample per call, covering the time since the
 * previous call. Each consumer (the 60 s stats log, the 2 s /admin feed) has its own sampler, so
 * their windows do not disturb each other.
 */
export class InstanceSampler {
  private previous: Reading | undefined
  private readonly loopDelay: IntervalHistogram
  private readonly startedAt: number

  constructor(
    private readonly registry: Registry,
    private readonly instanceId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 })
    this.loopDelay.enable()
    this.startedAt = now()
  }

  private async read(): Promise<Reading> {
    return {
      at: this.now(),
      messagesIn: sum(await values(this.registry, 'ws_messages_in_total')),
      framesOut: sum(await values(this.registry, 'ws_frames_out_total')),
      commit: await buckets(this.registry, 'op_commit_seconds'),
      fanOut: await buckets(this.registry, 'fanout_seconds'),
      elu: performance.eventLoopUtilization(),
    }
  }

  /** The sample of the window since the previous call (or since construction, for the first). */
  async sample(): Promise<InstanceSample> {
    const reading = await this.read()
    const first = this.previous === undefined
    const previous = this.previous ?? {
      ...reading,
      at: this.startedAt,
      messagesIn: 0,
      framesOut: 0,
      commit: [],
      fanOut: [],
    }
    this.previous = reading
    const windowSec = Math.max((reading.at - previous.at) / 1000, 0.001)
    const memory = process.memoryUsage()
    const lagP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0
    this.loopDelay.reset()
    // The first window has no previous reading: since the process started.
    const elu = first ? reading.elu : performance.eventLoopUtilization(reading.elu, previous.elu)
    return {
      instanceId: this.instanceId,
      at: reading.at,
      windowSec: round(windowSec, 3),
      connections: sum(await values(this.registry, 'ws_connections')),
      rooms: sum(await values(this.registry, 'ws_rooms')),
      messagesInPerSec: round((reading.messagesIn - previous.messagesIn) / windowSec),
      framesOutPerSec: round((reading.framesOut - previous.framesOut) / windowSec),
      ackMs: percentilesMs(previous.commit, reading.commit),
      fanOutMs: percentilesMs(previous.fanOut, reading.fanOut),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopLagP99Ms: round(lagP99Ms, 3),
      eventLoopUtilization: round(elu.utilization, 4),
    }
  }

  close(): void {
    this.loopDelay.disable()
  }
}

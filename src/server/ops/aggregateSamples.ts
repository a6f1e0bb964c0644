import type { AggregateSample, InstanceSample, Percentiles } from '../../protocol/adminStats.js'

function worst(list: readonly (Percentiles | null)[]): Percentiles | null {
  const present = list.filter((p): p is Percentiles => p !== null)
  if (present.length === 0) return null
  return {
    p50: Math.max(...present.map((p) => p.p50)),
    p95: Math.max(...present.map((p) => p.p95)),
    p99: Math.max(...present.map((p) => p.p99)),
  }
}

const total = (samples: readonly InstanceSample[], pick: (s: InstanceSample) => number) =>
  Number(samples.reduce((n, s) => n + pick(s), 0).toFixed(2))

export function aggregateSamples(samples: readonly InstanceSample[]): AggregateSample {
  return {
    instances: samples.length,
    connections: total(samples, (s) => s.connections),
    rooms: total(samples, (s) => s.rooms),
    messagesInPerSec: total(samples, (s) => s.messagesInPerSec),
    framesOutPerSec: total(samples, (s) => s.framesOutPerSec),
    ackMs: worst(samples.map((s) => s.ackMs)),
    fanOutMs: worst(samples.map((s) => s.fanOutMs)),
    rssBytes: total(samples, (s) => s.rssBytes),
    heapUsedBytes: total(samples, (s) => s.heapUsedBytes),
    eventLoopLagP99Ms: Math.max(0, ...samples.map((s) => s.eventLoopLagP99Ms)),
    eventLoopUtilization: Math.max(0, ...samples.map((s) => s.eventLoopUtilization)),
  }
}

import { collectDefaultMetrics, Registry } from 'prom-client'
import { SeriesHistogram, type Observe } from './seriesHistogram.js'

/** Records one HTTP response of a route: its method, status and duration. */
export type ObserveHttp = (method: string, statusCode: number, seconds: number) => void

/**
 * One registry per app instance (not prom-client's global), so tests can run several servers
 * in one process. The realtime layer adds its gauges and counters to `registry`.
 */
export interface Metrics {
  registry: Registry
  /**
   * The duration recorder of one route, `route` being its pattern (`/api/canvases/:id`) or
   * 'unmatched': resolved once per route, called once per response.
   */
  httpRoute(route: string): ObserveHttp
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpDuration = new SeriesHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by route and status',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registry,
  )
  return {
    registry,
    httpRoute(route) {
      // A route answers a handful of (method, status) pairs: each series is resolved once.
      const series = new Map<string, Map<number, Observe>>()
      return (method, statusCode, seconds) => {
        let byStatus = series.get(method)
        if (byStatus === undefined) {
          byStatus = new Map<number, Observe>()
          series.set(method, byStatus)
        }
        let observe = byStatus.get(statusCode)
        if (observe === undefined) {
          observe = httpDuration.series({ method, route, status_code: String(statusCode) })
          byStatus.set(statusCode, observe)
        }
        observe(seconds)
      }
    },
  }
}

import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

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
   * 'unmatched' (never the raw URL, which would make a series per id): made when the route is
   * added, called once per response.
   */
  httpRoute(route: string): ObserveHttp
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  return {
    registry,
    httpRoute(route) {
      return (method, statusCode, seconds) =>
        httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds)
    },
  }
}

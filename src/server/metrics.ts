import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/**
 * One registry per app instance (not prom-client's global), so tests can run several servers
 * in one process. The realtime layer adds its gauges and counters to `registry`.
 */
export interface Metrics {
  registry: Registry
  /** One HTTP request answered: `route` is the matched pattern (`/api/canvases/:id`), not the URL. */
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void
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
  // Label sets are few (routes × methods × statuses): resolve each once, not per request.
  const children = new Map<string, { observe(seconds: number): void }>()
  return {
    registry,
    observeHttp(method, route, statusCode, seconds) {
      const key = `${method} ${statusCode} ${route}`
      let child = children.get(key)
      if (child === undefined) {
        child = httpDuration.labels(method, route, String(statusCode))
        children.set(key, child)
      }
      child.observe(seconds)
    },
  }
}

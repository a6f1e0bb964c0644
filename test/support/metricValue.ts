import type { ApiClient } from './apiClient.js'

/**
 * The value of one sample in Prometheus text: `name` with exactly `labels` (none when omitted),
 * or undefined when the sample is absent. Label order follows prom-client (as registered).
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const labelText = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')
  const prefix = labelText === '' ? `${name} ` : `${name}{${labelText}} `
  const line = text.split('\n').find((l) => l.startsWith(prefix))
  return line === undefined ? undefined : Number(line.slice(prefix.length))
}

/** GET /metrics as text. */
export async function scrapeMetrics(api: ApiClient): Promise<string> {
  const res = await api.send({ method: 'GET', url: '/metrics' })
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${res.text}`)
  return res.text
}

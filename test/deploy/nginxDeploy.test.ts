import fs from 'node:fs'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_REALTIME_LIMITS } from '../../src/server/realtime/realtimeLimits.js'
import { fetchClient } from '../support/apiClient.js'
import { startCluster, type Cluster } from '../support/cluster.js'
import { createCanvas, registerUser } from '../support/fixtures.js'
import { metricValue, scrapeMetrics } from '../support/metricValue.js'
import { NGINX_TEMPLATE, renderNginxConf } from '../support/nginx.js'
import { WsTestClient } from '../support/wsTestClient.js'

// deploy/nginx.conf in front of three instances of one BUS=sqlite deployment [NGX1–NGX4]
// (docs/scaling.md, "Deploy"): a real nginx rendered from the template operators run.

/** GET `path` from a chosen loopback source address (fetch cannot bind one), with extra headers. */
function getFrom(
  baseUrl: string,
  path: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, baseUrl), { localAddress, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
  })
}

/** The `req` of every "incoming request" log line of an instance for `url`. */
function requestsLogged(output: string, url: string): { remoteAddress: string; headers?: unknown }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"incoming request"'))
    .map((l) => (JSON.parse(l) as { req: { url: string; remoteAddress: string } }).req)
    .filter((req) => req.url === url)
}

/** The value (in seconds) of `directive` inside `location <path> { … }` of an nginx config. */
function locationSeconds(conf: string, location: string, directive: string): number {
  const block = new RegExp(`location ${location.replace(/\//g, '\\/')} \\{([^}]*)\\}`).exec(conf)?.[1]
  const value = block && new RegExp(`${directive} (\\d+)s;`).exec(block)?.[1]
  if (value === undefined) throw new Error(`no ${directive} in location ${location}`)
  return Number(value)
}

describe('nginx in front of several instances', () => {
  let cluster: Cluster
  beforeAll(async () => {
    cluster = await startCluster({ bus: 'sqlite', instances: 3 })
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  it('[NGX1] when requests arrive through nginx then every instance serves some of them (no stickiness to one)', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${cluster.baseUrl}/health`)
      expect(res.status).toBe(200)
    }
    for (const instance of cluster.instances) {
      expect(requestsLogged(instance.cli.stdout(), '/health').length, cluster.describe()).toBeGreaterThan(0)
    }
  })

  it('[NGX2] when a client calls through nginx then the instance sees the client address from X-Forwarded-For, and a forged X-Forwarded-For does not win', async () => {
    const url = `/health?ngx2=${Date.now()}`
    expect(await getFrom(cluster.baseUrl, url, '127.0.0.7')).toBe(200)
    expect(await getFrom(cluster.baseUrl, url, '127.0.0.8', { 'x-forwarded-for': '203.0.113.9' })).toBe(200)
    // The log line may reach us a moment after the response.
    const seen = () =>
      cluster.instances.flatMap((i) => requestsLogged(i.cli.stdout(), url).map((r) => r.remoteAddress)).sort()
    await expect.poll(seen, { timeout: 5_000 }).toEqual(['127.0.0.7', '127.0.0.8'])
  })

  it('[NGX3] when a browser opens a WebSocket through nginx then the upgrade, the Origin check and auth pass on whichever instance, and a foreign Origin is refused', async () => {
    const api = fetchClient(cluster.baseUrl)
    const owner = await registerUser(api)
    const canvas = await createCanvas(api, owner)
    const origin = cluster.baseUrl
    // Several sockets, so least_conn hands them to different instances.
    const clients = await Promise.all(
      [0, 1, 2].map(() =>
        WsTestClient.connect(cluster.baseUrl, canvas.id, { token: owner.token, headers: { origin } }),
      ),
    )
    // least_conn deals them out: the sockets live on more than one instance.
    const open = await Promise.all(
      cluster.instances.map(async (i) =>
        metricValue(await scrapeMetrics(fetchClient(i.baseUrl)), 'ws_connections'),
      ),
    )
    expect(open.filter((n) => (n ?? 0) > 0).length, JSON.stringify(open)).toBeGreaterThanOrEqual(2)
    for (const client of clients) {
      client.send({ type: 'ping', t: 7 })
      await client.waitFor((m) => m.type === 'pong')
      client.close()
    }
    await expect(
      WsTestClient.connect(cluster.baseUrl, canvas.id, {
        token: owner.token,
        headers: { origin: 'https://evil.example' },
      }),
    ).rejects.toThrow(/upgrade refused: 403/)
  })

  it('[NGX4] when a WebSocket is quiet then nginx keeps it longer than two of the server pings, and the HTTP timeouts are bounded', () => {
    const conf = renderNginxConf(fs.readFileSync(NGINX_TEMPLATE, 'utf8'), {
      listen: '127.0.0.1:1',
      upstreams: ['127.0.0.1:2'],
    })
    const pingSeconds = DEFAULT_REALTIME_LIMITS.pingIntervalMs / 1000
    expect(locationSeconds(conf, '/ws/', 'proxy_read_timeout')).toBeGreaterThanOrEqual(2 * pingSeconds)
    expect(locationSeconds(conf, '/ws/', 'proxy_send_timeout')).toBeGreaterThanOrEqual(2 * pingSeconds)
    expect(locationSeconds(conf, '/', 'proxy_read_timeout')).toBeLessThanOrEqual(120)
    expect(conf).toMatch(/server 127\.0\.0\.1:2 max_fails=1 fail_timeout=5s;/)
    expect(conf).toMatch(/listen 127\.0\.0\.1:1;/)
    const directives = conf.replace(/#.*$/gm, '')
    expect(directives).not.toMatch(/ip_hash|sticky|hash \$/)
  })
})

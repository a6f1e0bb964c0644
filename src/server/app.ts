import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Deps } from './deps.js'
import type { ObserveHttp } from './metrics.js'
import { RealtimeGateway } from './realtime/realtimeGateway.js'
import { DEFAULT_REALTIME_LIMITS } from './realtime/realtimeLimits.js'
import { createRealtimeMetrics, roomObserver } from './realtime/realtimeMetrics.js'
import { RoomRegistry } from '../rooms/roomRegistry.js'
import { registerErrorHandling } from './plugins/errorHandler.js'
import { answerClientError, answerFrameworkError } from './plugins/frameworkErrors.js'
import { registerWellFormedStrings } from './plugins/wellFormedStrings.js'
import { registerWebApp } from './plugins/webApp.js'
import { allowedHostsOf, API_HEADERS, isAllowedOrigin, registerSecurity } from './plugins/security.js'
import { refuseUpgrade } from './plugins/upgradeGuard.js'
import { metricsRoute } from './routes/metricsRoute.js'
import { accountRoutes } from './routes/accountRoutes.js'
import { clientAddressOf, proxyTrust } from './trustProxy.js'
import { inviteRoutes } from './routes/inviteRoutes.js'
import { canvasRoutes } from './routes/canvasRoutes.js'
import { canvasListRoutes } from './routes/canvasListRoutes.js'
import { healthRoutes } from './routes/healthRoutes.js'
import { triggerRoutes } from './routes/triggers/triggerRoutes.js'
import { aiRoutes } from './routes/aiRoutes.js'
import { imageRoutes } from './routes/imageRoutes.js'
import { oidcRoutes } from './routes/oidcRoutes.js'
import { adminRoutes } from './routes/adminRoutes.js'
import { newInstanceId, startOpsMonitor } from './ops/opsMonitor.js'
import { startDisableWatcher } from './ops/disableWatcher.js'

export const BODY_LIMIT_BYTES = 1024 * 1024

export interface RegisteredRoute {
  method: string
  url: string
  /** Whether the route validates a body (and so refuses unknown fields in it). */
  hasBodySchema: boolean
}

/** How often sessions past their expiry are deleted [A3]. */
export const SESSION_PURGE_INTERVAL_MS = 10 * 60 * 1000

declare module 'fastify' {
  interface FastifyInstance {
    /** The WebSocket gateway, for tests and shutdown. */
    realtime: RealtimeGateway
    /** Every route as registered: the Z1 test checks each against routes/accessPolicy.ts. */
    routeTable: readonly RegisteredRoute[]
  }
  interface FastifyContextConfig {
    /** Set on every route when it is added: records its responses' durations. */
    observeHttp?: ObserveHttp
  }
}

/** Composes the HTTP app from its dependencies. Never listens: main.ts and tests do. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { config } = deps
  const trust = proxyTrust(config.trustProxy)
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    requestTimeout: 30_000,
    // How often Node enforces headersTimeout and requestTimeout (default every 30 s): a
    // slowloris connection trickling bytes then lasts at most about headersTimeout + 1 s [W7].
    http: { connectionsCheckingInterval: 1000 },
    trustProxy: trust,
    // Node's and Fastify's own refusals in the contract's format, never quoting the input [I2].
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      // Reject what does not fit instead of silently dropping or converting it.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()
  // Slow-header clients are cut off well before Node's 60 s default [W7].
  app.server.headersTimeout = 10_000
  // headersTimeout starts at a request's first byte: a connection that never sends one would be
  // held open for good. It gets as long to start its first request; after that, Node's keep-alive
  // timeout governs the idle time between requests. (Fastify's connectionTimeout also does this,
  // but Node then re-arms that timer on every read and write of every request: ~6 % of the CPU of
  // a GET /health in paired runs.)
  app.server.on('connection', (socket: Socket) => socket.setTimeout(app.server.headersTimeout))

  // Each route gets its duration recorder once, here, labelled with its pattern; and is recorded,
  // so the access-policy test [Z1] finds every route, including ones added later.
  const routeTable: RegisteredRoute[] = []
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, observeHttp: deps.metrics.httpRoute(route.url) }
    const hasBodySchema = route.schema?.body !== undefined
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, hasBodySchema })
  })
  app.decorate('routeTable', routeTable)
  const unmatched = deps.metrics.httpRoute('unmatched')
  app.addHook('onResponse', (request, reply, done) => {
    const observe = request.routeOptions.config.observeHttp ?? unmatched
    observe(request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  const allowedOrigins = [
    ...config.corsOrigins,
    ...(config.publicUrl ? [new URL(config.publicUrl).origin] : []),
  ]
  const policy = { allowedOrigins, allowedHosts: allowedHostsOf(allowedOrigins) }
  await registerSecurity(app, policy)

  const realtimeMetrics = createRealtimeMetrics(deps.metrics.registry)
  const limits = Object.freeze({ ...DEFAULT_REALTIME_LIMITS, ...deps.realtimeLimits })
  const rooms = new RoomRegistry({
    opLog: deps.opLog,
    bus: deps.bus,
    limits,
    observer: roomObserver(realtimeMetrics),
    logger: deps.logger,
    now: deps.now,
  })
  const realtime = new RealtimeGateway({
    ...(deps.socketCounts ? { socketCounts: deps.socketCounts } : {}),
    accounts: deps.accounts,
    store: deps.store,
    rooms,
    metrics: realtimeMetrics,
    logger: deps.logger,
    now: deps.now,
    // Behind a TLS proxy the page is https while this hop is http: accept the host either way.
    clientAddress: (request) => clientAddressOf(request, trust),
    isAllowedOrigin: (origin, request) =>
      isAllowedOrigin(origin, { protocol: 'http', host: request.headers.host ?? '' }, policy) ||
      isAllowedOrigin(origin, { protocol: 'https', host: request.headers.host ?? '' }, policy),
    limits,
    ...(deps.beforeHandle ? { beforeHandle: deps.beforeHandle } : {}),
  })
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!refuseUpgrade(request, socket, policy)) realtime.handleUpgrade(request, socket, head)
  })
  // Sockets first: the HTTP server's close waits for every connection, upgraded ones included.
  app.addHook('preClose', () => realtime.close())
  app.decorate('realtime', realtime)

  // Expired sessions no longer authenticate, but their rows would pile up for good.
  const purge = setInterval(() => {
    deps.accounts.purgeExpiredSessions().then(
      (count) => {
        if (count > 0) deps.logger.debug({ count }, 'expired sessions purged')
      },
      (err: unknown) => deps.logger.warn({ err }, 'purging expired sessions failed'),
    )
  }, deps.sessionPurgeIntervalMs ?? SESSION_PURGE_INTERVAL_MS)
  purge.unref()
  app.addHook('onClose', (_instance, done) => {
    clearInterval(purge)
    done()
  })

  registerErrorHandling(app, await registerWebApp(app, deps.webRoot))
  registerWellFormedStrings(app)
  await app.register(healthRoutes(deps))
  // On its own listener instead when METRICS_PORT is set (main.ts, buildMetricsApp).
  if (config.metricsPort === undefined) await app.register(metricsRoute(deps))
  await app.register(accountRoutes(deps))
  await app.register(canvasRoutes(deps, rooms))
  await app.register(canvasListRoutes(deps, rooms))
  await app.register(inviteRoutes(deps))
  await app.register(triggerRoutes(deps, rooms))
  await app.register(aiRoutes(deps, rooms))
  await app.register(imageRoutes(deps))
  await app.register(oidcRoutes(deps))
  await app.register(adminRoutes(deps))
  startOpsMonitor(app, deps, newInstanceId())
  startDisableWatcher(app, deps, realtime)
  return app
}

/**
 * The metrics listener for METRICS_PORT: GET /metrics only, same token rule, same error format.
 * Never listens: main.ts does.
 */
export async function buildMetricsApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  })
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(API_HEADERS).header('cache-control', 'no-store')
    done()
  })
  registerErrorHandling(app)
  await app.register(metricsRoute(deps))
  return app
}

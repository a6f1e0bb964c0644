import { isIP } from 'node:net'
import path from 'node:path'

export type Env = Readonly<Record<string, string | undefined>>

export const BUS_KINDS = ['memory', 'sqlite', 'redis'] as const
export type BusKind = (typeof BUS_KINDS)[number]

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface OidcConfig {
  issuerUrl: string
  clientId: string
  clientSecret: string | undefined
  audience: string | undefined
}

export interface Config {
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  bus: BusKind
  redisUrl: string | undefined
  /** Origins allowed to call the API cross-origin and to open WebSockets; same origin is always allowed. */
  corsOrigins: readonly string[]
  sessionTimeoutSec: number
  logLevel: LogLevel
  anthropicApiKey: string | undefined
  oidc: OidcConfig | undefined
  publicUrl: string | undefined
  /** Which peers may set X-Forwarded-For/-Proto/-Host (TRUST_PROXY). */
  trustProxy: TrustProxy
  /** GET /metrics needs `Authorization: Bearer <token>` when set. */
  metricsToken: string | undefined
  /** When set, /metrics is served on this port (at metricsHost) instead of the main one. */
  metricsPort: number | undefined
  metricsHost: string
  /** Accounts one client address may register per hour. */
  registrationsPerHour: number
  /** Live sessions one user may hold; the oldest is ended beyond it. */
  maxSessionsPerUser: number
  /** ALLOW_PRIVATE_WEBHOOKS: webhook URLs may point at loopback and private addresses (tests, closed networks). */
  allowPrivateWebhooks: boolean
  /** WEBHOOK_TIMEOUT_MS: one webhook attempt's deadline. */
  webhookTimeoutMs: number
  /** WEBHOOK_RETRY_DELAYS_MS: waits before each retry (comma-separated ms); unset: the documented schedule. */
  webhookRetryDelaysMs: readonly number[] | undefined
  /** ADMIN_EMAILS: accounts (lower-cased emails) that may open /admin; everyone else gets 404. */
  adminEmails: readonly string[]
  /** STATS_LOG_INTERVAL_SEC: one structured `stats` log line this often; 0 turns it off. */
  statsLogIntervalSec: number
}

/**
 * `false`: X-Forwarded-* headers are ignored, the socket's peer is the client. A number: that
 * many proxies in front, whatever their address (only safe when the app is reachable through
 * them alone). A list: the proxies' addresses or CIDRs (or proxy-addr's `loopback`,
 * `linklocal`, `uniquelocal`).
 */
export type TrustProxy = false | { hops: number } | { addresses: readonly string[] }

/** A bad variable: main.ts prints the message (one line, naming the variable) and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`)
  return value
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = nonEmpty(env, name)
  if (raw === undefined) return fallback
  const found = allowed.find((a) => a === raw.toLowerCase())
  if (found === undefined) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
  return found
}

function boolVar(env: Env, name: string): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase()
  if (raw === undefined || raw === 'false' || raw === '0' || raw === 'no') return false
  if (raw === 'true' || raw === '1' || raw === 'yes') return true
  throw new ConfigError(`${name} must be true or false, got "${raw}"`)
}

function msList(env: Env, name: string): readonly number[] | undefined {
  const raw = nonEmpty(env, name)
  if (raw === undefined) return undefined
  const values = raw.split(',').map((v) => Number(v.trim()))
  if (values.length > 20 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 7 * 24 * 3600 * 1000)) {
    throw new ConfigError(
      `${name} must be up to 20 comma-separated whole milliseconds (1 to one week), got "${raw}"`,
    )
  }
  return Object.freeze(values)
}

function urlVar(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = nonEmpty(env, name)
  if (raw === undefined) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} must be a URL, got "${raw}"`)
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${url.protocol}"`)
  }
  return raw
}

function originList(env: Env, name: string): string[] {
  const raw = nonEmpty(env, name)
  if (raw === undefined) return []
  return raw.split(',').map((part) => {
    const candidate = part.trim()
    let url: URL
    try {
      url = new URL(candidate)
    } catch {
      throw new ConfigError(`${name} must be a comma-separated list of origins like https://app.example.com`)
    }
    if (
      url.origin !== candidate.replace(/\/$/, '') ||
      (url.protocol !== 'http:' && url.protocol !== 'https:')
    ) {
      throw new ConfigError(`${name}: "${candidate}" is not an origin (scheme://host[:port], no path)`)
    }
    return url.origin
  })
}

function emailList(env: Env, name: string): readonly string[] {
  const raw = nonEmpty(env, name)
  if (raw === undefined) return Object.freeze([])
  const emails = raw.split(',').map((e) => e.trim().toLowerCase())
  const bad = emails.find((e) => !/^[^\s@,]+@[^\s@,]+$/.test(e))
  if (bad !== undefined)
    throw new ConfigError(`${name} must be a comma-separated list of emails, got "${bad}"`)
  return Object.freeze(emails)
}

const PROXY_ADDRESS_NAMES = ['loopback', 'linklocal', 'uniquelocal']

function isAddressOrCidr(value: string): boolean {
  if (PROXY_ADDRESS_NAMES.includes(value)) return true
  const [address = '', prefix, ...rest] = value.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

function trustProxyVar(env: Env): TrustProxy {
  const name = 'TRUST_PROXY'
  const raw = nonEmpty(env, name)
  if (raw === undefined || raw.toLowerCase() === 'false') return false
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops < 1 || hops > 10)
      throw new ConfigError(`${name} hop count must be between 1 and 10, got ${hops}`)
    return { hops }
  }
  const addresses = raw.split(',').map((part) => part.trim())
  for (const address of addresses) {
    if (!isAddressOrCidr(address)) {
      throw new ConfigError(
        `${name} must be false, a hop count, or a comma-separated list of proxy addresses or CIDRs, got "${address}"`,
      )
    }
  }
  return { addresses }
}

function oidcConfig(env: Env): OidcConfig | undefined {
  const issuerUrl = urlVar(env, 'OIDC_ISSUER_URL', ['https:', 'http:'])
  const clientId = nonEmpty(env, 'OIDC_CLIENT_ID')
  if (issuerUrl === undefined && clientId === undefined) return undefined
  if (issuerUrl === undefined) throw new ConfigError('OIDC_ISSUER_URL is required when OIDC_CLIENT_ID is set')
  if (clientId === undefined) throw new ConfigError('OIDC_CLIENT_ID is required when OIDC_ISSUER_URL is set')
  return {
    issuerUrl,
    clientId,
    clientSecret: nonEmpty(env, 'OIDC_CLIENT_SECRET'),
    audience: nonEmpty(env, 'OIDC_AUDIENCE'),
  }
}

/** Parses and validates every variable of the contract once; the result is frozen. */
export function loadConfig(env: Env, cwd = process.cwd()): Readonly<Config> {
  const bus = oneOf(env, 'BUS', BUS_KINDS, 'memory')
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:'])
  if (bus === 'redis' && redisUrl === undefined) throw new ConfigError('REDIS_URL is required when BUS=redis')
  const debug = boolVar(env, 'DEBUG')
  const level = oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info')
  const logLevel = debug ? 'debug' : level
  const config: Config = {
    port: intVar(env, 'PORT', 5000, 0, 65_535),
    host: nonEmpty(env, 'HOST') ?? '0.0.0.0',
    dataDir: path.resolve(cwd, nonEmpty(env, 'DATA_DIR') ?? './data'),
    databaseUrl: urlVar(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    bus,
    redisUrl,
    corsOrigins: originList(env, 'CORS_ORIGIN'),
    sessionTimeoutSec: intVar(env, 'SESSION_TIMEOUT', 86_400, 60, 31_536_000),
    logLevel,
    anthropicApiKey: nonEmpty(env, 'ANTHROPIC_API_KEY'),
    oidc: oidcConfig(env),
    publicUrl: urlVar(env, 'PUBLIC_URL', ['https:', 'http:']),
    trustProxy: trustProxyVar(env),
    metricsToken: nonEmpty(env, 'METRICS_TOKEN'),
    metricsPort:
      nonEmpty(env, 'METRICS_PORT') === undefined ? undefined : intVar(env, 'METRICS_PORT', 0, 0, 65_535),
    metricsHost: nonEmpty(env, 'METRICS_HOST') ?? '127.0.0.1',
    registrationsPerHour: intVar(env, 'REGISTRATIONS_PER_HOUR', 20, 1, 1_000_000),
    maxSessionsPerUser: intVar(env, 'MAX_SESSIONS_PER_USER', 20, 1, 10_000),
    allowPrivateWebhooks: boolVar(env, 'ALLOW_PRIVATE_WEBHOOKS'),
    webhookTimeoutMs: intVar(env, 'WEBHOOK_TIMEOUT_MS', 15_000, 100, 30_000),
    webhookRetryDelaysMs: msList(env, 'WEBHOOK_RETRY_DELAYS_MS'),
    adminEmails: emailList(env, 'ADMIN_EMAILS'),
    statsLogIntervalSec: intVar(env, 'STATS_LOG_INTERVAL_SEC', 60, 0, 86_400),
  }
  if (nonEmpty(env, 'METRICS_HOST') !== undefined && config.metricsPort === undefined) {
    throw new ConfigError('METRICS_PORT is required when METRICS_HOST is set')
  }
  if (config.metricsToken !== undefined && config.metricsToken.length < 16) {
    throw new ConfigError('METRICS_TOKEN must be at least 16 characters')
  }
  Object.freeze(config.corsOrigins)
  if (config.trustProxy) Object.freeze(config.trustProxy)
  if (config.trustProxy && 'addresses' in config.trustProxy) Object.freeze(config.trustProxy.addresses)
  if (config.oidc) Object.freeze(config.oidc)
  return Object.freeze(config)
}

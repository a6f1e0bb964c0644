import { isIP } from 'node:net'
import path from 'node:path'
import { DEFAULT_IMAGE_LIMITS } from '../protocol/images.js'

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
  /** OIDC_PROVIDER_NAME: shown on the sign-in button ("Continue with …"). */
  providerName: string
  /** PUBLIC_URL + /auth/callback: the redirect URI registered at the provider. */
  redirectUrl: string
  /** PUBLIC_URL: where the provider sends the browser back after logout. */
  publicUrl: string
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
  /** AI commands (docs/ai.md): Claude's model, endpoint, one deadline for the whole call, per-user limits. */
  ai: AiConfig
  oidc: OidcConfig | undefined
  /** AUTH_PASSWORD_LOGIN=false: no email/password registration or login (OIDC only). */
  passwordLogin: boolean
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
  /** The BUS=sqlite|redis tunables, BUS_* (docs/scaling.md). */
  busTuning: BusTuning
  /** ADMIN_EMAILS: accounts (lower-cased emails) that may open /admin; everyone else gets 404. */
  adminEmails: readonly string[]
  /** STATS_LOG_INTERVAL_SEC: one structured `stats` log line this often; 0 turns it off. */
  statsLogIntervalSec: number
  /** IMAGE_MAX_BYTES, IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS: what one uploaded image may be (docs/editor.md). */
  images: ImageLimits
}

export interface ImageLimits {
  maxBytes: number
  maxSide: number
  maxPixels: number
}

/** What scale-out buses read from BUS_* variables; unset fields keep the bus's defaults. */
export interface BusTuning {
  pollIntervalMs?: number
  pollIdleMs?: number
  maxMessagesPerPoll?: number
  messageTtlMs?: number
  cleanupIntervalMs?: number
  watermarkSaveMs?: number
  cursorBatchMs?: number
  localBroadcast?: boolean
  wakeUp?: boolean
  presenceHeartbeatMs?: number
  presenceExpiryMs?: number
}

export interface AiConfig {
  model: string
  /** ANTHROPIC_BASE_URL: another Messages API endpoint (a proxy; tests' local fake). */
  baseUrl: string | undefined
  deadlineMs: number
  commandsPerHour: number
  tokensPerDay: number
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

function oidcConfig(env: Env, publicUrl: string | undefined): OidcConfig | undefined {
  const issuerUrl = urlVar(env, 'OIDC_ISSUER_URL', ['https:', 'http:'])
  const clientId = nonEmpty(env, 'OIDC_CLIENT_ID')
  if (issuerUrl === undefined && clientId === undefined) return undefined
  if (issuerUrl === undefined) throw new ConfigError('OIDC_ISSUER_URL is required when OIDC_CLIENT_ID is set')
  if (clientId === undefined) throw new ConfigError('OIDC_CLIENT_ID is required when OIDC_ISSUER_URL is set')
  // The callback URL registered at the provider is built from it; never from a request's Host.
  if (publicUrl === undefined) throw new ConfigError('PUBLIC_URL is required when OIDC_ISSUER_URL is set')
  const base = publicUrl.replace(/\/+$/, '')
  return {
    issuerUrl,
    clientId,
    clientSecret: nonEmpty(env, 'OIDC_CLIENT_SECRET'),
    audience: nonEmpty(env, 'OIDC_AUDIENCE'),
    providerName: nonEmpty(env, 'OIDC_PROVIDER_NAME')?.slice(0, 40) ?? 'SSO',
    redirectUrl: `${base}/auth/callback`,
    publicUrl: base,
  }
}

function optionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  return nonEmpty(env, name) === undefined ? undefined : intVar(env, name, 0, min, max)
}

function optionalBool(env: Env, name: string): boolean | undefined {
  return nonEmpty(env, name) === undefined ? undefined : boolVar(env, name)
}

/** BUS_* tunables (docs/scaling.md); only the ones set, so each bus keeps its own defaults. */
function busTuning(env: Env): BusTuning {
  const tuning: BusTuning = {
    pollIntervalMs: optionalInt(env, 'BUS_POLL_INTERVAL_MS', 1, 60_000),
    pollIdleMs: optionalInt(env, 'BUS_POLL_IDLE_MS', 1, 60_000),
    maxMessagesPerPoll: optionalInt(env, 'BUS_MAX_MESSAGES_PER_POLL', 1, 100_000),
    messageTtlMs: optionalInt(env, 'BUS_MESSAGE_TTL_MS', 1_000, 86_400_000),
    cleanupIntervalMs: optionalInt(env, 'BUS_CLEANUP_INTERVAL_MS', 100, 3_600_000),
    watermarkSaveMs: optionalInt(env, 'BUS_WATERMARK_SAVE_MS', 100, 600_000),
    cursorBatchMs: optionalInt(env, 'BUS_CURSOR_BATCH_MS', 0, 10_000),
    localBroadcast: optionalBool(env, 'BUS_LOCAL_BROADCAST'),
    wakeUp: optionalBool(env, 'BUS_WAKEUP'),
    presenceHeartbeatMs: optionalInt(env, 'BUS_PRESENCE_HEARTBEAT_MS', 100, 600_000),
    presenceExpiryMs: optionalInt(env, 'BUS_PRESENCE_EXPIRY_MS', 300, 3_600_000),
  }
  const heartbeat = tuning.presenceHeartbeatMs ?? 5_000
  const expiry = tuning.presenceExpiryMs ?? 15_000
  if (expiry < 2 * heartbeat) {
    throw new ConfigError(
      `BUS_PRESENCE_EXPIRY_MS (${expiry}) must be at least twice BUS_PRESENCE_HEARTBEAT_MS (${heartbeat}): one lost heartbeat must not drop a live instance's users`,
    )
  }
  for (const key of Object.keys(tuning) as (keyof BusTuning)[]) {
    if (tuning[key] === undefined) delete tuning[key]
  }
  return Object.freeze(tuning)
}

/** Parses and validates every variable of the contract once; the result is frozen. */
export function loadConfig(env: Env, cwd = process.cwd()): Readonly<Config> {
  const bus = oneOf(env, 'BUS', BUS_KINDS, 'memory')
  const redisUrl = urlVar(env, 'REDIS_URL', ['redis:', 'rediss:'])
  if (bus === 'redis' && redisUrl === undefined) throw new ConfigError('REDIS_URL is required when BUS=redis')
  if (bus === 'sqlite' && nonEmpty(env, 'DATABASE_URL') !== undefined) {
    throw new ConfigError(
      'BUS=sqlite shares the SQLite file in DATA_DIR between processes; with DATABASE_URL use BUS=redis',
    )
  }
  const debug = boolVar(env, 'DEBUG')
  const level = oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info')
  const logLevel = debug ? 'debug' : level
  const publicUrl = urlVar(env, 'PUBLIC_URL', ['https:', 'http:'])
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
    ai: Object.freeze({
      model: nonEmpty(env, 'ANTHROPIC_MODEL') ?? 'claude-haiku-4-5',
      baseUrl: urlVar(env, 'ANTHROPIC_BASE_URL', ['https:', 'http:']),
      deadlineMs: intVar(env, 'AI_DEADLINE_MS', 2_500, 100, 60_000),
      commandsPerHour: intVar(env, 'AI_COMMANDS_PER_HOUR', 10, 1, 100_000),
      tokensPerDay: intVar(env, 'AI_TOKENS_PER_DAY', 200_000, 1_000, 100_000_000),
    }),
    oidc: oidcConfig(env, publicUrl),
    passwordLogin: nonEmpty(env, 'AUTH_PASSWORD_LOGIN') === undefined || boolVar(env, 'AUTH_PASSWORD_LOGIN'),
    publicUrl,
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
    busTuning: busTuning(env),
    adminEmails: emailList(env, 'ADMIN_EMAILS'),
    statsLogIntervalSec: intVar(env, 'STATS_LOG_INTERVAL_SEC', 60, 0, 86_400),
    images: Object.freeze({
      maxBytes: intVar(env, 'IMAGE_MAX_BYTES', DEFAULT_IMAGE_LIMITS.maxBytes, 1_024, 100 * 1024 * 1024),
      maxSide: intVar(env, 'IMAGE_MAX_SIDE', DEFAULT_IMAGE_LIMITS.maxSide, 16, 16_384),
      maxPixels: intVar(env, 'IMAGE_MAX_PIXELS', DEFAULT_IMAGE_LIMITS.maxPixels, 256, 268_435_456),
    }),
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
  if (!config.passwordLogin && config.oidc === undefined) {
    throw new ConfigError('AUTH_PASSWORD_LOGIN=false needs OIDC_ISSUER_URL: nobody could sign in otherwise')
  }
  return Object.freeze(config)
}

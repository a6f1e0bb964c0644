import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, type Env } from '../../src/server/config.js'

const CWD = '/srv/collabcanvas'

describe('loadConfig', () => {
  it('when nothing is set then the contract defaults apply', () => {
    expect(loadConfig({}, CWD)).toMatchObject({
      port: 5000,
      host: '0.0.0.0',
      dataDir: path.resolve(CWD, 'data'),
      databaseUrl: undefined,
      bus: 'memory',
      redisUrl: undefined,
      corsOrigins: [],
      sessionTimeoutSec: 86_400,
      logLevel: 'info',
      anthropicApiKey: undefined,
      oidc: undefined,
      publicUrl: undefined,
      trustProxy: false,
      metricsToken: undefined,
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
      registrationsPerHour: 20,
      maxSessionsPerUser: 20,
    })
  })

  it.each([
    ['false', false],
    ['FALSE', false],
    ['2', { hops: 2 }],
    ['127.0.0.1', { addresses: ['127.0.0.1'] }],
    ['10.0.0.0/8, 192.168.1.7 ,::1', { addresses: ['10.0.0.0/8', '192.168.1.7', '::1'] }],
    ['fd00::/8,loopback', { addresses: ['fd00::/8', 'loopback'] }],
  ] as const)('when TRUST_PROXY=%j then it is read as %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }, CWD).trustProxy).toEqual(expected)
  })

  it('when METRICS_PORT, METRICS_HOST, METRICS_TOKEN and the limits are set then each is read', () => {
    expect(
      loadConfig(
        {
          METRICS_PORT: '9100',
          METRICS_HOST: '0.0.0.0',
          METRICS_TOKEN: 'a-long-enough-token',
          REGISTRATIONS_PER_HOUR: '5',
          MAX_SESSIONS_PER_USER: '3',
        },
        CWD,
      ),
    ).toMatchObject({
      metricsPort: 9100,
      metricsHost: '0.0.0.0',
      metricsToken: 'a-long-enough-token',
      registrationsPerHour: 5,
      maxSessionsPerUser: 3,
    })
  })

  it('when every variable is set to a good value then each is read', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        HOST: '127.0.0.1',
        DATA_DIR: '/var/lib/cc',
        DATABASE_URL: 'postgres://u:p@db:5432/cc',
        BUS: 'REDIS',
        REDIS_URL: 'redis://cache:6379',
        CORS_ORIGIN: 'https://app.example.com, http://localhost:5173',
        SESSION_TIMEOUT: '3600',
        LOG_LEVEL: 'warn',
        ANTHROPIC_API_KEY: 'sk-test',
        OIDC_ISSUER_URL: 'https://id.example.com/',
        OIDC_CLIENT_ID: 'client',
        OIDC_CLIENT_SECRET: 'secret',
        OIDC_AUDIENCE: 'api',
        PUBLIC_URL: 'https://canvas.example.com',
      },
      CWD,
    )
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/var/lib/cc',
      databaseUrl: 'postgres://u:p@db:5432/cc',
      bus: 'redis',
      redisUrl: 'redis://cache:6379',
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      sessionTimeoutSec: 3600,
      logLevel: 'warn',
      anthropicApiKey: 'sk-test',
      oidc: {
        issuerUrl: 'https://id.example.com/',
        clientId: 'client',
        clientSecret: 'secret',
        audience: 'api',
        providerName: 'SSO',
        redirectUrl: 'https://canvas.example.com/auth/callback',
      },
      passwordLogin: true,
      publicUrl: 'https://canvas.example.com',
    })
  })

  it.each([
    ['DEBUG=true', { DEBUG: 'true' }, 'debug'],
    ['DEBUG=1', { DEBUG: '1' }, 'debug'],
    ['DEBUG=false', { DEBUG: 'false' }, 'info'],
    ['LOG_LEVEL=silent', { LOG_LEVEL: 'silent' }, 'silent'],
    ['DEBUG=false, LOG_LEVEL=error', { DEBUG: 'false', LOG_LEVEL: 'error' }, 'error'],
  ] as const)('when %s then the log level is %s', (_case, env, level) => {
    expect(loadConfig(env, CWD).logLevel).toBe(level)
  })

  it('when a value is blank then the default applies', () => {
    expect(loadConfig({ PORT: '  ', BUS: '', DATA_DIR: '' }, CWD)).toMatchObject({
      port: 5000,
      bus: 'memory',
      dataDir: path.resolve(CWD, 'data'),
    })
  })

  it('when the config is loaded then it is frozen, nested parts too', () => {
    const config = loadConfig(
      {
        CORS_ORIGIN: 'https://a.example',
        OIDC_ISSUER_URL: 'https://i',
        OIDC_CLIENT_ID: 'c',
        PUBLIC_URL: 'https://canvas.example.com',
      },
      CWD,
    )
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.corsOrigins)).toBe(true)
    expect(Object.isFrozen(config.oidc)).toBe(true)
    expect(() => {
      ;(config as { port: number }).port = 1
    }).toThrow(TypeError)
  })

  const BAD: [string, string, Env][] = [
    ['PORT=abc', 'PORT', { PORT: 'abc' }],
    ['PORT=70000', 'PORT', { PORT: '70000' }],
    ['PORT=-1', 'PORT', { PORT: '-1' }],
    ['PORT=80.5', 'PORT', { PORT: '80.5' }],
    ['BUS=foo', 'BUS', { BUS: 'foo' }],
    ['BUS=redis without REDIS_URL', 'REDIS_URL', { BUS: 'redis' }],
    ['BUS=sqlite with DATABASE_URL', 'BUS', { BUS: 'sqlite', DATABASE_URL: 'postgres://db/cc' }],
    ['BUS_POLL_INTERVAL_MS=0', 'BUS_POLL_INTERVAL_MS', { BUS_POLL_INTERVAL_MS: '0' }],
    ['BUS_MESSAGE_TTL_MS=ten', 'BUS_MESSAGE_TTL_MS', { BUS_MESSAGE_TTL_MS: 'ten' }],
    ['BUS_LOCAL_BROADCAST=maybe', 'BUS_LOCAL_BROADCAST', { BUS_LOCAL_BROADCAST: 'maybe' }],
    [
      'BUS_PRESENCE_EXPIRY_MS below twice the heartbeat',
      'BUS_PRESENCE_EXPIRY_MS',
      { BUS_PRESENCE_HEARTBEAT_MS: '5000', BUS_PRESENCE_EXPIRY_MS: '6000' },
    ],
    ['REDIS_URL=http://…', 'REDIS_URL', { BUS: 'redis', REDIS_URL: 'http://cache:6379' }],
    ['SESSION_TIMEOUT=0', 'SESSION_TIMEOUT', { SESSION_TIMEOUT: '0' }],
    ['SESSION_TIMEOUT=1h', 'SESSION_TIMEOUT', { SESSION_TIMEOUT: '1h' }],
    ['LOG_LEVEL=loud', 'LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['DEBUG=maybe', 'DEBUG', { DEBUG: 'maybe' }],
    ['DATABASE_URL=mysql://…', 'DATABASE_URL', { DATABASE_URL: 'mysql://u:p@db/cc' }],
    ['DATABASE_URL=not a url', 'DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['CORS_ORIGIN=not-a-url', 'CORS_ORIGIN', { CORS_ORIGIN: 'not-a-url' }],
    ['CORS_ORIGIN with a path', 'CORS_ORIGIN', { CORS_ORIGIN: 'https://app.example.com/app' }],
    ['CORS_ORIGIN=ftp://…', 'CORS_ORIGIN', { CORS_ORIGIN: 'ftp://files.example.com' }],
    ['only OIDC_CLIENT_ID', 'OIDC_ISSUER_URL', { OIDC_CLIENT_ID: 'client' }],
    ['only OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', { OIDC_ISSUER_URL: 'https://id.example.com' }],
    ['OIDC_ISSUER_URL=not a url', 'OIDC_ISSUER_URL', { OIDC_ISSUER_URL: 'nope', OIDC_CLIENT_ID: 'c' }],
    [
      'OIDC without PUBLIC_URL',
      'PUBLIC_URL',
      { OIDC_ISSUER_URL: 'https://id.example.com', OIDC_CLIENT_ID: 'c' },
    ],
    ['AUTH_PASSWORD_LOGIN=false without OIDC', 'AUTH_PASSWORD_LOGIN', { AUTH_PASSWORD_LOGIN: 'false' }],
    ['AUTH_PASSWORD_LOGIN=maybe', 'AUTH_PASSWORD_LOGIN', { AUTH_PASSWORD_LOGIN: 'maybe' }],
    ['PUBLIC_URL=javascript:…', 'PUBLIC_URL', { PUBLIC_URL: 'javascript:alert(1)' }],
    ['TRUST_PROXY=true (trust anyone)', 'TRUST_PROXY', { TRUST_PROXY: 'true' }],
    ['TRUST_PROXY=0', 'TRUST_PROXY', { TRUST_PROXY: '0' }],
    ['TRUST_PROXY=11 hops', 'TRUST_PROXY', { TRUST_PROXY: '11' }],
    ['TRUST_PROXY=a host name', 'TRUST_PROXY', { TRUST_PROXY: 'proxy.internal' }],
    ['TRUST_PROXY with a bad CIDR', 'TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['TRUST_PROXY with an empty entry', 'TRUST_PROXY', { TRUST_PROXY: '10.0.0.1,,10.0.0.2' }],
    ['METRICS_PORT=abc', 'METRICS_PORT', { METRICS_PORT: 'abc' }],
    ['METRICS_HOST without METRICS_PORT', 'METRICS_PORT', { METRICS_HOST: '127.0.0.1' }],
    ['METRICS_TOKEN too short', 'METRICS_TOKEN', { METRICS_TOKEN: 'short' }],
    ['REGISTRATIONS_PER_HOUR=0', 'REGISTRATIONS_PER_HOUR', { REGISTRATIONS_PER_HOUR: '0' }],
    ['MAX_SESSIONS_PER_USER=0', 'MAX_SESSIONS_PER_USER', { MAX_SESSIONS_PER_USER: '0' }],
  ]
  it.each(BAD)('when %s then a ConfigError naming %s', (_case, variable, env) => {
    let thrown: unknown
    try {
      loadConfig(env, CWD)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(ConfigError)
    const message = (thrown as ConfigError).message
    expect(message).toContain(variable)
    expect(message).not.toContain('\n')
  })
})

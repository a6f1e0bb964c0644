#!/usr/bin/env node
import { AppError } from '../protocol/appError.js'
import { buildApp, buildMetricsApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createDeps, createLogger, migrateDatabase } from './deps.js'

// The only file that reads process.env, listens and traps signals.

const USAGE = 'usage: collabcanvas [serve|migrate]'

async function serve(config: Readonly<Config>): Promise<void> {
  // SQLite is migrated inside createDeps; PostgreSQL's driver is asynchronous, so first.
  if (config.databaseUrl !== undefined) await migrateDatabase(config)
  const deps = createDeps(config)
  const app = await buildApp(deps)
  const metricsApp = config.metricsPort === undefined ? undefined : await buildMetricsApp(deps)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    deps.logger.info({ signal }, 'shutting down')
    // Fastify stops accepting, lets in-flight requests finish, then runs onClose hooks.
    Promise.all([app.close(), metricsApp?.close()])
      .then(() => deps.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          deps.logger.error({ err }, 'shutdown failed')
          process.exit(1)
        },
      )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  await app.listen({ port: config.port, host: config.host })
  if (metricsApp && config.metricsPort !== undefined) {
    await metricsApp.listen({ port: config.metricsPort, host: config.metricsHost })
  }
}

async function runMigrations(config: Readonly<Config>): Promise<void> {
  const logger = createLogger(config)
  const result = await migrateDatabase(config, logger)
  logger.info(
    {
      applied: result.applied,
      version: result.current,
      ...(config.databaseUrl === undefined ? { dataDir: config.dataDir } : { database: 'postgres' }),
    },
    'migrations done',
  )
}

async function main(argv: readonly string[]): Promise<void> {
  const command = argv[0] ?? 'serve'
  let config: Readonly<Config>
  try {
    config = loadConfig(process.env)
    if (command === 'serve') await serve(config)
    else if (command === 'migrate') await runMigrations(config)
    else {
      process.stderr.write(`${USAGE}\n`)
      process.exit(2)
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`collabcanvas: configuration error: ${err.message}\n`)
      process.exit(1)
    }
    // PostgreSQL down at start (serve migrates first, as migrate does): one line, not a stack.
    if (err instanceof AppError && err.code === 'storage_unavailable') {
      const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
      process.stderr.write(`collabcanvas: the database is unavailable${cause}\n`)
      process.exit(1)
    }
    throw err
  }
}

await main(process.argv.slice(2))

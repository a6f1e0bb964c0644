#!/usr/bin/env node
import { openSqlite } from '../sqlite/openSqlite.js'
import { buildApp, buildMetricsApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createDeps, createLogger, migrateSqlite } from './deps.js'

// The only file that reads process.env, listens and traps signals.

const USAGE = 'usage: collabcanvas [serve|migrate]'

async function serve(config: Readonly<Config>): Promise<void> {
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

function runMigrations(config: Readonly<Config>): void {
  const logger = createLogger(config)
  const db = openSqlite(config.dataDir)
  try {
    const result = migrateSqlite(db)
    logger.info(
      { applied: result.applied, version: result.current, dataDir: config.dataDir },
      'migrations done',
    )
  } finally {
    db.close()
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const command = argv[0] ?? 'serve'
  let config: Readonly<Config>
  try {
    config = loadConfig(process.env)
    if (command === 'serve') await serve(config)
    else if (command === 'migrate') runMigrations(config)
    else {
      process.stderr.write(`${USAGE}\n`)
      process.exit(2)
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`collabcanvas: configuration error: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

await main(process.argv.slice(2))

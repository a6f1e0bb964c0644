#!/usr/bin/env node
import { AppError } from '../protocol/appError.js'
import { openPostgres } from '../postgres/openPostgres.js'
import { openSqlite } from '../sqlite/openSqlite.js'
import { runKeysCommand } from '../triggers/keysCommand.js'
import { PostgresTriggerStore } from '../triggers/postgres/postgresTriggerStore.js'
import { SqliteTriggerStore } from '../triggers/sqlite/sqliteTriggerStore.js'
import { buildApp, buildMetricsApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { createDeps, createLogger, migrateDatabase } from './deps.js'
import { runBackupCommand, runRestoreCommand, type CommandResult } from './ops/backupCommands.js'
import { runConsole } from './ops/consoleCommand.js'
import { runSelftest } from './ops/selftestCommand.js'

// The only file that reads process.env, listens and traps signals.

const USAGE =
  'usage: collabcanvas [serve|migrate|console|selftest|backup <file>|restore <file>|keys set-tier <keyId|prefix> <tier>]'

/** Prints an operator command's result (stdout when it succeeded, stderr otherwise). */
function report({ code, out }: CommandResult): void {
  ;(code === 0 ? process.stdout : process.stderr).write(`${out}\n`)
  process.exitCode = code
}

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

/** `collabcanvas keys set-tier …`: the operator changes an API key's tier (src/triggers). */
async function keys(config: Readonly<Config>, args: readonly string[]): Promise<void> {
  await migrateDatabase(config)
  const report = ({ code, out }: { code: number; out: string }) => {
    ;(code === 0 ? process.stdout : process.stderr).write(`${out}\n`)
    process.exitCode = code
  }
  if (config.databaseUrl !== undefined) {
    const pool = openPostgres(config.databaseUrl, { maxConnections: 1, onIdleError: () => undefined })
    try {
      report(await runKeysCommand(new PostgresTriggerStore(pool), args))
    } finally {
      await pool.end()
    }
    return
  }
  const db = openSqlite(config.dataDir)
  try {
    report(await runKeysCommand(new SqliteTriggerStore(db), args))
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
    else if (command === 'migrate') await runMigrations(config)
    else if (command === 'keys') await keys(config, argv.slice(1))
    else if (command === 'console') await runConsole(config)
    else if (command === 'selftest') report(await runSelftest())
    else if (command === 'backup') report(await runBackupCommand(config, argv.slice(1)))
    else if (command === 'restore') report(await runRestoreCommand(config, argv.slice(1)))
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

import { once } from 'node:events'
import repl from 'node:repl'
import type { Config } from '../config.js'
import { createDeps, migrateDatabase } from '../deps.js'

/**
 * `collabcanvas console`: a Node REPL with the app's services loaded (the store, accounts, the log,
 * the triggers) on the configured database, for an operator's one-off inspection or repair. It
 * starts no listener and no background work (webhook delivery stays with the servers); on EOF or
 * `.exit` it closes the database and returns.
 */
export async function runConsole(
  config: Readonly<Config>,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stdout,
  },
): Promise<void> {
  // Quiet logs: they would interleave with what the operator types and reads.
  const quiet: Readonly<Config> = { ...config, logLevel: 'warn' }
  if (quiet.databaseUrl !== undefined) await migrateDatabase(quiet)
  const deps = createDeps(quiet)
  const services = {
    deps,
    config: deps.config,
    store: deps.store,
    accounts: deps.accounts,
    invites: deps.invites,
    opLog: deps.opLog,
    triggers: deps.triggers,
  }
  io.output.write(
    `CollabCanvas console (${quiet.databaseUrl === undefined ? `SQLite in ${quiet.dataDir}` : 'PostgreSQL'}). ` +
      `Loaded: ${Object.keys(services).join(', ')}. Promises are awaited: try \`await store.findUserByEmail('you@example.com')\`. Ctrl-D exits.\n`,
  )
  const server = repl.start({
    prompt: 'collabcanvas> ',
    input: io.input,
    output: io.output,
    terminal: (io.input as { isTTY?: boolean }).isTTY === true,
    useGlobal: false,
  })
  Object.assign(server.context, services)
  await once(server, 'exit')
  await deps.close()
}

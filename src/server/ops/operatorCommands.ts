import { normaliseEmail } from '../../auth/accounts.js'
import type { Config } from '../config.js'
import { createDeps, migrateDatabase, type Deps } from '../deps.js'
import { aggregateSamples } from './aggregateSamples.js'
import type { CommandResult } from './backupCommands.js'
import { DISABLE_POLL_MS } from './disableWatcher.js'
import { LIVE_STATS_INTERVAL_MS } from './opsMonitor.js'

export const USERS_USAGE = 'usage: collabcanvas users disable <email>'

/** Runs `use` on the app's services over the configured database, then closes them. */
async function withServices<T>(config: Readonly<Config>, use: (deps: Deps) => Promise<T>): Promise<T> {
  const quiet: Readonly<Config> = { ...config, logLevel: 'warn' }
  if (quiet.databaseUrl !== undefined) await migrateDatabase(quiet)
  const deps = createDeps(quiet)
  try {
    return await use(deps)
  } finally {
    await deps.close()
  }
}

/**
 * `collabcanvas users disable <email>`: the account gets no new session, its sessions end now
 * (HTTP answers 401), and every instance sharing the database closes its sockets within
 * DISABLE_POLL_MS (src/server/ops/disableWatcher.ts).
 */
export function runUsersCommand(config: Readonly<Config>, args: readonly string[]): Promise<CommandResult> {
  const [sub, email] = args
  if (sub !== 'disable' || email === undefined || args.length !== 2) {
    return Promise.resolve({ code: 2, out: USERS_USAGE })
  }
  return withServices(config, async (deps) => {
    const user = await deps.store.findUserByEmail(normaliseEmail(email))
    if (user === undefined) return { code: 1, out: `collabcanvas: no account with the email ${email}` }
    const now = deps.now()
    await deps.userDisables.disable(user.id, now)
    const ended = await deps.store.deleteSessionsBeyond(user.id, 0, now)
    return {
      code: 0,
      out: JSON.stringify({
        msg: 'account disabled',
        userId: user.id,
        email: user.email,
        sessionsEnded: ended.length,
        socketsCloseWithinMs: DISABLE_POLL_MS,
      }),
    }
  })
}

/** `collabcanvas stats`: what /admin shows, once, as JSON: every live instance summed, and the queue. */
export function runStatsCommand(config: Readonly<Config>, args: readonly string[]): Promise<CommandResult> {
  if (args.length > 0) return Promise.resolve({ code: 2, out: 'usage: collabcanvas stats' })
  return withServices(config, async (deps) => {
    const now = deps.now()
    const instances = await deps.instanceStats.listSince(now - 5 * LIVE_STATS_INTERVAL_MS)
    const queue = await deps.triggers.stats(undefined)
    return {
      code: 0,
      out: JSON.stringify({
        at: new Date(now).toISOString(),
        total: aggregateSamples(instances),
        instances,
        queue,
      }),
    }
  })
}

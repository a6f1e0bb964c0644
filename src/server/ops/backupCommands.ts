import type { Config } from '../config.js'
import { migrateDatabase, SQLITE_MIGRATIONS } from '../deps.js'
import { backupSqlite, BackupFileError, restoreSqlite } from './sqliteBackup.js'

/** What an operator command prints and exits with; main.ts does the printing. */
export interface CommandResult {
  code: number
  out: string
}

export const BACKUP_USAGE = 'usage: collabcanvas backup <file> | collabcanvas restore <file>'

// PostgreSQL has its own consistent online dump; a second tool of ours would only be worse.
const PG_BACKUP_HELP =
  'DATABASE_URL is set: back up PostgreSQL with its own tools, e.g. `pg_dump --format=custom --file=<file> "$DATABASE_URL"` ' +
  'and restore with `pg_restore --clean --if-exists --dbname="$DATABASE_URL" <file>`, then `collabcanvas migrate` (docs/operations.md)'

const latestSqliteVersion = (): number => Math.max(...SQLITE_MIGRATIONS.flat().map((m) => m.version))

async function explainFailure(run: () => Promise<CommandResult>): Promise<CommandResult> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof BackupFileError) return { code: 1, out: `collabcanvas: ${err.message}` }
    throw err
  }
}

/** `collabcanvas backup <file>`: a consistent copy of the SQLite database while it serves [D7]. */
export function runBackupCommand(config: Readonly<Config>, args: readonly string[]): Promise<CommandResult> {
  const [file] = args
  if (file === undefined || args.length !== 1) return Promise.resolve({ code: 2, out: BACKUP_USAGE })
  if (config.databaseUrl !== undefined) return Promise.resolve({ code: 2, out: PG_BACKUP_HELP })
  return explainFailure(async () => {
    const report = await backupSqlite(config.dataDir, file)
    return { code: 0, out: JSON.stringify({ msg: 'backup written', ...report }) }
  })
}

/**
 * `collabcanvas restore <file>`: checks the file, replaces the database (every instance on this
 * DATA_DIR stopped), then migrates it so a backup from an older release comes up to date.
 */
export function runRestoreCommand(config: Readonly<Config>, args: readonly string[]): Promise<CommandResult> {
  const [file] = args
  if (file === undefined || args.length !== 1) return Promise.resolve({ code: 2, out: BACKUP_USAGE })
  if (config.databaseUrl !== undefined) return Promise.resolve({ code: 2, out: PG_BACKUP_HELP })
  return explainFailure(async () => {
    const report = await restoreSqlite(config.dataDir, file, latestSqliteVersion())
    const migrated = await migrateDatabase(config)
    return {
      code: 0,
      out: JSON.stringify({
        msg: 'restored',
        ...report,
        migrationsApplied: migrated.applied,
        version: migrated.current,
      }),
    }
  })
}

import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { SQLITE_FILE_NAME, type SqliteDb } from '../../sqlite/openSqlite.js'

/**
 * Online backup and offline restore of the SQLite database [D7].
 *
 * The backup uses SQLite's backup API (through better-sqlite3) from a connection of its own, so
 * it runs beside a serving process. It copies every page in one step: one read transaction, so
 * the copy is the database as of one commit. In WAL mode that read never blocks the server's
 * writers. (Copying a few pages per step would restart from scratch each time another process
 * commits, and under a steady write load might never finish.)
 */

/** A backup the restore refuses: the message says why, in a form the operator can act on. */
export class BackupFileError extends Error {
  override name = 'BackupFileError'
}

export interface BackupReport {
  file: string
  bytes: number
  pages: number
  /** The schema version the backup carries (highest applied migration). */
  schemaVersion: number
  /** Operations in the log of the copy: the sum of every canvas's head seq. */
  logEntries: number
}

const ALL_PAGES = 0x7fffffff

/** fsync a file or directory by path. */
function syncPath(target: string): void {
  const fd = fs.openSync(target, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Copies `dataDir/canvas.db` into `file` while the server may be writing. Writes to a temporary
 * name beside `file` and renames it when complete and synced, so a crash never leaves a half
 * backup under the requested name.
 */
export async function backupSqlite(dataDir: string, file: string): Promise<BackupReport> {
  const source = path.join(dataDir, SQLITE_FILE_NAME)
  if (!fs.existsSync(source)) throw new BackupFileError(`no database at ${source}: check DATA_DIR`)
  const target = path.resolve(file)
  if (!fs.existsSync(path.dirname(target))) {
    throw new BackupFileError(`the directory of ${target} does not exist`)
  }
  const partial = `${target}.partial-${process.pid}`
  fs.rmSync(partial, { force: true })
  const db = new Database(source, { fileMustExist: true })
  try {
    // The server may hold the write lock for a commit: wait, as the server's connections do.
    db.pragma('busy_timeout = 5000')
    await db.backup(partial, { progress: () => ALL_PAGES })
  } catch (err) {
    fs.rmSync(partial, { force: true })
    throw err
  } finally {
    db.close()
  }
  // The copy's header says WAL (it copied page 1); switch it to a single self-contained file.
  const copy = new Database(partial, { fileMustExist: true })
  let summary: Omit<BackupReport, 'file' | 'bytes'>
  try {
    copy.pragma('journal_mode = DELETE')
    summary = describeDatabase(copy)
  } finally {
    copy.close()
  }
  syncPath(partial)
  fs.renameSync(partial, target)
  syncPath(path.dirname(target))
  return { file: target, bytes: fs.statSync(target).size, ...summary }
}

function describeDatabase(db: SqliteDb): Omit<BackupReport, 'file' | 'bytes'> {
  const pages = db.pragma('page_count', { simple: true }) as number
  const schemaVersion = db
    .prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations')
    .pluck()
    .get() as number
  const hasHeads = db
    .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'op_log_heads'")
    .pluck()
    .get() as number
  const logEntries = hasHeads
    ? (db.prepare('SELECT COALESCE(SUM(head_seq), 0) FROM op_log_heads').pluck().get() as number)
    : 0
  return { pages, schemaVersion, logEntries }
}

/**
 * Checks that `file` is a sound CollabCanvas database this version can run: a SQLite file, passing
 * integrity_check, with our migrations table, at a schema version no newer than `latestVersion`.
 * Throws BackupFileError naming the problem otherwise.
 */
export function verifyBackup(file: string, latestVersion: number): Omit<BackupReport, 'file' | 'bytes'> {
  if (!fs.existsSync(file)) throw new BackupFileError(`${file} does not exist`)
  let db: SqliteDb
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw new BackupFileError(`${file} cannot be opened as a SQLite database: ${(err as Error).message}`)
  }
  try {
    let problems: string[]
    try {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[]
      problems = rows.map((r) => r.integrity_check)
    } catch (err) {
      // A file that is not a database at all, or whose header is damaged, fails here.
      throw new BackupFileError(`${file} is not a usable SQLite database: ${(err as Error).message}`)
    }
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new BackupFileError(
        `${file} is corrupt (integrity_check: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''})`,
      )
    }
    const hasMigrations = db
      .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .pluck()
      .get() as number
    if (!hasMigrations) throw new BackupFileError(`${file} is a SQLite database but not a CollabCanvas one`)
    const summary = describeDatabase(db)
    if (summary.schemaVersion > latestVersion) {
      throw new BackupFileError(
        `${file} has schema version ${summary.schemaVersion}, newer than this build's ${latestVersion}: restore it with the release that made it`,
      )
    }
    return summary
  } finally {
    db.close()
  }
}

/**
 * Fails unless no other process has the database open: a serving instance would keep its own
 * view of the old file (rooms in memory, an open WAL) and undo the restore.
 */
function requireNoOtherUser(dbFile: string): void {
  if (!fs.existsSync(dbFile)) return
  const db = new Database(dbFile, { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 0')
    db.pragma('locking_mode = EXCLUSIVE')
    try {
      db.exec('BEGIN EXCLUSIVE')
      db.exec('COMMIT')
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new BackupFileError(
          `${dbFile} is in use by another process: stop every CollabCanvas instance on this DATA_DIR before restoring`,
        )
      }
      throw err
    }
  } finally {
    // Closing the last connection checkpoints the WAL into the old file and removes it.
    db.close()
  }
}

export interface RestoreReport extends Omit<BackupReport, 'file' | 'bytes'> {
  restoredFrom: string
  /** Where the database that was replaced now is; undefined when there was none. */
  previous: string | undefined
}

/**
 * Replaces `dataDir/canvas.db` with the backup `file`, after checking the file and that no server
 * has the database open. The replaced database is kept beside it (`canvas.db.before-restore-<time>`).
 * The caller migrates the result (a backup from an older release comes up to date).
 */
export async function restoreSqlite(
  dataDir: string,
  file: string,
  latestVersion: number,
  now: () => number = Date.now,
): Promise<RestoreReport> {
  const source = path.resolve(file)
  const summary = verifyBackup(source, latestVersion)
  fs.mkdirSync(dataDir, { recursive: true })
  const live = path.join(dataDir, SQLITE_FILE_NAME)
  requireNoOtherUser(live)
  // Copied with the backup API too, so the source file is read consistently whatever it is.
  const staged = `${live}.restore-${process.pid}`
  fs.rmSync(staged, { force: true })
  const db = new Database(source, { readonly: true, fileMustExist: true })
  try {
    await db.backup(staged, { progress: () => ALL_PAGES })
  } finally {
    db.close()
  }
  syncPath(staged)
  let previous: string | undefined
  if (fs.existsSync(live)) {
    previous = `${live}.before-restore-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`
    fs.renameSync(live, previous)
  }
  // A WAL or shared-memory file left by the old database must not be replayed into the new one.
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${live}${suffix}`, { force: true })
  fs.renameSync(staged, live)
  syncPath(dataDir)
  return { ...summary, restoredFrom: source, previous }
}

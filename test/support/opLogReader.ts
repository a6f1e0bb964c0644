import path from 'node:path'
import Database from 'better-sqlite3'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'

export interface OpLogRow {
  seq: number
  opId: string
  userId: string
  op: unknown
}

/**
 * A second, read-only connection to a test server's database: what is really in the log
 * (migration 2's `op_log` table), independently of the server's own connection. WAL mode lets
 * it read while the server writes; each query sees the latest commit.
 */
export class OpLogReader {
  private readonly db: Database.Database

  constructor(dataDir: string) {
    this.db = new Database(path.join(dataDir, SQLITE_FILE_NAME), { readonly: true, fileMustExist: true })
  }

  rows(canvasId: string): OpLogRow[] {
    return this.db
      .prepare<[string], { seq: number; op_id: string; user_id: string; op: string }>(
        'SELECT seq, op_id, user_id, op FROM op_log WHERE canvas_id = ? ORDER BY seq',
      )
      .all(canvasId)
      .map((r) => ({ seq: r.seq, opId: r.op_id, userId: r.user_id, op: JSON.parse(r.op) as unknown }))
  }

  row(canvasId: string, seq: number): OpLogRow | undefined {
    const r = this.db
      .prepare<[string, number], { seq: number; op_id: string; user_id: string; op: string }>(
        'SELECT seq, op_id, user_id, op FROM op_log WHERE canvas_id = ? AND seq = ?',
      )
      .get(canvasId, seq)
    return r && { seq: r.seq, opId: r.op_id, userId: r.user_id, op: JSON.parse(r.op) as unknown }
  }

  count(canvasId: string): number {
    return this.db
      .prepare<[string], number>('SELECT COUNT(*) FROM op_log WHERE canvas_id = ?')
      .pluck()
      .get(canvasId) as number
  }

  /** The lowest seq still in the log (undefined when empty): moves up when the log is trimmed. */
  firstSeq(canvasId: string): number | undefined {
    return (
      this.db
        .prepare<[string], number | null>('SELECT MIN(seq) FROM op_log WHERE canvas_id = ?')
        .pluck()
        .get(canvasId) ?? undefined
    )
  }

  close(): void {
    this.db.close()
  }
}

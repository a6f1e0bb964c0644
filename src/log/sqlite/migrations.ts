import type { Migration } from '../../sqlite/migrate.js'

/**
 * The log's tables: entries, heads, snapshots. They reference the store's canvases, so they run
 * after STORE_MIGRATIONS. Append only; versions are shared with the store's migrations
 * (src/sqlite/migrate.ts says how they are numbered).
 */
export const LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 2,
    name: 'op log, log heads and snapshots',
    // Every table cascades from canvases: deleting a canvas deletes its log. user_id has no
    // foreign key on purpose: a deleted account's past operations stay in the history.
    // op_log_heads keeps headSeq when trim empties op_log, so seqs never restart [LOG1][LOG4].
    // op_log is WITHOUT ROWID: most ops are small, and rows are only ever read by their key.
    sql: `
      CREATE TABLE op_log (
        canvas_id TEXT    NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL CHECK (seq >= 1),
        op_id     TEXT    NOT NULL,
        user_id   TEXT    NOT NULL,
        at        INTEGER NOT NULL,
        op        TEXT    NOT NULL,
        PRIMARY KEY (canvas_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE op_log_heads (
        canvas_id TEXT    PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        head_seq  INTEGER NOT NULL CHECK (head_seq >= 0)
      ) WITHOUT ROWID;
      CREATE TABLE canvas_snapshots (
        canvas_id TEXT    PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL CHECK (seq >= 0),
        objects   TEXT    NOT NULL,
        saved_at  INTEGER NOT NULL
      );
    `,
  },
]

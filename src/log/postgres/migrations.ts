import type { PgMigration } from '../../postgres/migrate.js'

/**
 * The log's tables in PostgreSQL: the same shape and version as the SQLite ones
 * (src/log/sqlite/migrations.ts). They reference the store's canvases, so they run after
 * PG_STORE_MIGRATIONS. Append only.
 */
export const PG_LOG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 2,
    name: 'op log, log heads and snapshots',
    // Every table cascades from canvases; user_id has no foreign key on purpose (a deleted
    // account's past operations stay). op_log_heads keeps headSeq when trim empties op_log, and
    // is where appends take their seqs [LOG1][LOG4]. Ops and snapshots are JSON kept as TEXT,
    // not JSONB: read back byte for byte as written, and JSONB refuses a "\u0000" that JSON
    // text (and so a client's object) may hold.
    sql: `
      CREATE TABLE op_log (
        canvas_id TEXT   NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        seq       BIGINT NOT NULL CHECK (seq >= 1),
        op_id     TEXT   NOT NULL,
        user_id   TEXT   NOT NULL,
        at        BIGINT NOT NULL,
        op        TEXT   NOT NULL,
        PRIMARY KEY (canvas_id, seq)
      );
      CREATE TABLE op_log_heads (
        canvas_id TEXT   PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        head_seq  BIGINT NOT NULL CHECK (head_seq >= 0)
      );
      CREATE TABLE canvas_snapshots (
        canvas_id TEXT   PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        seq       BIGINT NOT NULL CHECK (seq >= 0),
        objects   TEXT   NOT NULL,
        saved_at  BIGINT NOT NULL
      );
    `,
  },
]

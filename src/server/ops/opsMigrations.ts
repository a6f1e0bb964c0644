import type { PgMigration } from '../../postgres/migrate.js'
import type { Migration } from '../../sqlite/migrate.js'

/**
 * The operator side's tables (versions 40–49), the same in SQLite and PostgreSQL.
 * instance_stats: each serving instance's latest sample, upserted every few seconds, so /admin
 * shows every instance from whichever one answers (src/server/ops/instanceStats.ts).
 * user_disables: accounts an operator disabled (`collabcanvas users disable`), read by every
 * instance to end their sockets (src/server/ops/userDisables.ts).
 */
export const OPS_MIGRATIONS: readonly Migration[] = [
  {
    version: 40,
    name: 'ops: per-instance live stats',
    sql: `
      CREATE TABLE instance_stats (
        instance_id TEXT    PRIMARY KEY,
        updated_at  INTEGER NOT NULL,
        sample      TEXT    NOT NULL
      );
    `,
  },
  {
    version: 41,
    name: 'ops: disabled accounts',
    // Append only: id orders the disables, so each instance reads those after its watermark.
    sql: `
      CREATE TABLE user_disables (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        disabled_at INTEGER NOT NULL
      );
      CREATE INDEX user_disables_user ON user_disables(user_id);
    `,
  },
]

export const PG_OPS_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 40,
    name: 'ops: per-instance live stats',
    sql: `
      CREATE TABLE instance_stats (
        instance_id TEXT    PRIMARY KEY,
        updated_at  BIGINT  NOT NULL,
        sample      TEXT    NOT NULL
      );
    `,
  },
  {
    version: 41,
    name: 'ops: disabled accounts',
    sql: `
      CREATE TABLE user_disables (
        id          BIGSERIAL PRIMARY KEY,
        user_id     TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        disabled_at BIGINT  NOT NULL
      );
      CREATE INDEX user_disables_user ON user_disables(user_id);
    `,
  },
]

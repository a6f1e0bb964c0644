import type { PgMigration } from '../../postgres/migrate.js'
import type { Migration } from '../../sqlite/migrate.js'

/**
 * The operator side's tables (versions 40–49), the same in SQLite and PostgreSQL.
 * instance_stats: each serving instance's latest sample, upserted every few seconds, so /admin
 * shows every instance from whichever one answers (src/server/ops/instanceStats.ts).
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
]

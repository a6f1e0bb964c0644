import type { PgMigration } from '../../postgres/migrate.js'

/** The images table as in SQLite (src/store/sqlite/imageMigrations.ts), same version. */
export const PG_IMAGE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 65,
    name: 'canvas images',
    sql: `
      CREATE TABLE canvas_images (
        canvas_id  TEXT NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        hash       TEXT NOT NULL CHECK (length(hash) = 64),
        type       TEXT NOT NULL CHECK (type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
        width      INTEGER NOT NULL,
        height     INTEGER NOT NULL,
        bytes      BYTEA NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (canvas_id, hash)
      );
    `,
  },
]

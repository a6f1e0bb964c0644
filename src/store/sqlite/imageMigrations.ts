import type { Migration } from '../../sqlite/migrate.js'

/**
 * The images table (src/store/imageStore.ts), in the editor's version range 60–69. The bytes
 * live in the row: one database to back up, and an image is at most IMAGE_MAX_BYTES.
 */
export const IMAGE_MIGRATIONS: readonly Migration[] = [
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
        bytes      BLOB NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (canvas_id, hash)
      );
    `,
  },
]

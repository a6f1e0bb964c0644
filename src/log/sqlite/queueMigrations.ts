import type { Migration } from '../../sqlite/migrate.js'

/**
 * The SQLite message queue's tables (BUS=sqlite, docs/scaling.md). Versions 20–29 are the
 * bus's. They exist whatever BUS says (a migration never depends on configuration), and stay
 * empty with BUS=memory.
 */
export const QUEUE_MIGRATIONS: readonly Migration[] = [
  {
    version: 20,
    name: 'bus: message queue and per-instance watermarks',
    // id is AUTOINCREMENT: SQLite has one writer at a time, so ids are handed out in commit order
    // and never reused; a reader that has seen id N has seen every committed id below it, and
    // polling `id > watermark` never skips a row. canvas_id has no foreign key: the notice that
    // a canvas was deleted is queued after its row is gone, and '*' is the deployment channel.
    // Every message is a doorbell or ephemeral: durable operations live in op_log, so all of
    // them expire (expires_at) and the cleanup job deletes them.
    sql: `
      CREATE TABLE message_queue (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        canvas_id    TEXT    NOT NULL,
        message_type TEXT    NOT NULL,
        payload      TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      );
      CREATE INDEX message_queue_canvas_id ON message_queue (canvas_id, id);
      CREATE INDEX message_queue_expires_at ON message_queue (expires_at);
      CREATE TABLE canvas_watermarks (
        canvas_id          TEXT    NOT NULL,
        server_instance_id TEXT    NOT NULL,
        last_processed_id  INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL,
        UNIQUE (canvas_id, server_instance_id)
      );
    `,
  },
  {
    version: 21,
    name: 'bus: open sockets per user and instance',
    // The per-user socket cap counted over every instance [I1]; rows of an instance that stopped
    // refreshing them stop counting (socketCounts.ts).
    sql: `
      CREATE TABLE user_sockets (
        user_id            TEXT    NOT NULL,
        server_instance_id TEXT    NOT NULL,
        sockets            INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL,
        PRIMARY KEY (user_id, server_instance_id)
      ) WITHOUT ROWID;
    `,
  },
]

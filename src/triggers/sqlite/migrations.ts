import type { Migration } from '../../sqlite/migrate.js'

/**
 * The Triggers API's tables: keys, events, webhook endpoints and deliveries, and the canvas event
 * consumer's positions. They reference users and canvases, so they run after the store's and the
 * log's. Versions 10–19 are reserved for them (src/sqlite/migrate.ts: one sequence per file).
 */
export const TRIGGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: 'triggers: api keys, events, webhooks, deliveries, canvas event positions',
    // trigger_events.pos is AUTOINCREMENT: a position is never reused, even after the highest
    // row is deleted, so a reader's cursor can never come to stand for a newer event [TRG2].
    // SQLite has one writer at a time, so positions are handed out in commit order.
    // canvas_event_positions cascades with its canvas: a deleted canvas's position goes with it.
    sql: `
      CREATE TABLE api_keys (
        key_id       TEXT    PRIMARY KEY,
        user_id      TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name         TEXT    NOT NULL,
        prefix       TEXT    NOT NULL UNIQUE,
        key_hash     TEXT    NOT NULL UNIQUE,
        tier         TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      );
      CREATE INDEX api_keys_user ON api_keys(user_id);
      CREATE TABLE trigger_events (
        pos        INTEGER PRIMARY KEY AUTOINCREMENT,
        id         TEXT    NOT NULL UNIQUE,
        owner_id   TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type       TEXT    NOT NULL,
        payload    TEXT    NOT NULL,
        dedup_id   TEXT,
        status     TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'acked')),
        created_at INTEGER NOT NULL,
        acked_at   INTEGER
      );
      CREATE INDEX trigger_events_owner ON trigger_events(owner_id, pos);
      CREATE INDEX trigger_events_owner_type ON trigger_events(owner_id, type, pos);
      CREATE INDEX trigger_events_owner_status ON trigger_events(owner_id, status, pos);
      CREATE INDEX trigger_events_status ON trigger_events(status, created_at);
      CREATE UNIQUE INDEX trigger_events_dedup ON trigger_events(owner_id, dedup_id)
        WHERE dedup_id IS NOT NULL;
      CREATE TABLE webhook_endpoints (
        id                    TEXT    PRIMARY KEY,
        owner_id              TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        url                   TEXT    NOT NULL,
        event_types           TEXT    NOT NULL,
        secret                TEXT    NOT NULL,
        previous_secret       TEXT,
        previous_secret_until INTEGER,
        created_at            INTEGER NOT NULL,
        disabled_at           INTEGER,
        disabled_reason       TEXT
      );
      CREATE INDEX webhook_endpoints_owner ON webhook_endpoints(owner_id);
      CREATE TABLE webhook_deliveries (
        id              TEXT    PRIMARY KEY,
        endpoint_id     TEXT    NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_pos       INTEGER NOT NULL REFERENCES trigger_events(pos) ON DELETE CASCADE,
        order_key       TEXT,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        lease_until     INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        created_at      INTEGER NOT NULL,
        finished_at     INTEGER
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
      CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_pos);
      CREATE INDEX webhook_deliveries_order ON webhook_deliveries(endpoint_id, order_key, event_pos)
        WHERE order_key IS NOT NULL;
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at)
        WHERE finished_at IS NOT NULL;
      CREATE TABLE webhook_attempts (
        delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt     INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        status_code INTEGER,
        error       TEXT,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      ) WITHOUT ROWID;
      CREATE TABLE canvas_event_positions (
        canvas_id TEXT    PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
]

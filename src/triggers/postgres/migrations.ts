import type { PgMigration } from '../../postgres/migrate.js'

/**
 * The Triggers API's tables in PostgreSQL: the same shape and version as the SQLite ones
 * (src/triggers/sqlite/migrations.ts), plus trigger_event_head, where event positions come from.
 * They reference the store's users and canvases, so they run after the store's and the log's.
 */
export const PG_TRIGGER_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 10,
    name: 'triggers: api keys, events, webhooks, deliveries, canvas event positions',
    // trigger_events.pos is taken from trigger_event_head's one row, locked until COMMIT: the
    // transaction holding position n+1 cannot take it before the one holding n has committed, so
    // positions become visible in order and a reader paging by position never passes over an
    // event still in flight [TRG2]. (A sequence would hand out values at insert time, which
    // commit in any order.) Payloads are JSON text, as the log's ops are: JSONB refuses "\u0000".
    sql: `
      CREATE TABLE api_keys (
        key_id       TEXT    PRIMARY KEY,
        user_id      TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name         TEXT    NOT NULL,
        prefix       TEXT    NOT NULL UNIQUE,
        key_hash     TEXT    NOT NULL UNIQUE,
        tier         TEXT    NOT NULL,
        created_at   BIGINT  NOT NULL,
        last_used_at BIGINT,
        revoked_at   BIGINT
      );
      CREATE INDEX api_keys_user ON api_keys(user_id);
      CREATE TABLE trigger_events (
        pos        BIGINT  PRIMARY KEY,
        id         TEXT    NOT NULL UNIQUE,
        owner_id   TEXT    NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type       TEXT    NOT NULL,
        payload    TEXT    NOT NULL,
        dedup_id   TEXT,
        status     TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'acked')),
        created_at BIGINT  NOT NULL,
        acked_at   BIGINT
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
        previous_secret_until BIGINT,
        created_at            BIGINT  NOT NULL,
        disabled_at           BIGINT,
        disabled_reason       TEXT
      );
      CREATE INDEX webhook_endpoints_owner ON webhook_endpoints(owner_id);
      CREATE TABLE webhook_deliveries (
        id              TEXT    PRIMARY KEY,
        endpoint_id     TEXT    NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_pos       BIGINT  NOT NULL REFERENCES trigger_events(pos) ON DELETE CASCADE,
        order_key       TEXT,
        status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        lease_until     BIGINT  NOT NULL DEFAULT 0,
        last_error      TEXT,
        created_at      BIGINT  NOT NULL,
        finished_at     BIGINT
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
        at          BIGINT  NOT NULL,
        status_code INTEGER,
        error       TEXT,
        duration_ms BIGINT  NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      );
      CREATE TABLE canvas_event_positions (
        canvas_id TEXT    PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        seq       BIGINT  NOT NULL
      );
      CREATE TABLE trigger_event_head (
        id  INTEGER PRIMARY KEY CHECK (id = 1),
        pos BIGINT  NOT NULL
      );
      INSERT INTO trigger_event_head (id, pos) VALUES (1, 0);
    `,
  },
  {
    version: 11,
    name: 'triggers: rate limit buckets',
    // UNLOGGED: a bucket is worth no WAL write or fsync; after a crash PostgreSQL empties the
    // table and every key starts with a full bucket, which is no worse than a fresh instance.
    sql: `
      CREATE UNLOGGED TABLE rate_buckets (
        key     TEXT             PRIMARY KEY,
        tokens  DOUBLE PRECISION NOT NULL,
        at      BIGINT           NOT NULL,
        granted BOOLEAN          NOT NULL
      );
    `,
  },
]

import type { PgMigration } from '../../postgres/migrate.js'

/**
 * The store's tables in PostgreSQL, the same shape as the SQLite ones (src/store/sqlite/
 * migrations.ts) and the same version numbers, so one version means one schema whichever
 * database holds it. Append only.
 */
export const PG_STORE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'accounts and canvases',
    // sessions.insert_order breaks ties between sessions created in one millisecond, as SQLite's
    // rowid does (deleteSessionsBeyond keeps the newest).
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,
        username      TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE sessions (
        token_hash   TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at   BIGINT NOT NULL,
        expires_at   BIGINT NOT NULL,
        insert_order BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE INDEX sessions_expiry ON sessions(expires_at);
      CREATE TABLE canvases (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        owner_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX canvases_owner ON canvases(owner_id);
      CREATE TABLE canvas_members (
        canvas_id  TEXT NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role       TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
        created_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (canvas_id, user_id)
      );
      CREATE INDEX canvas_members_user ON canvas_members(user_id);
    `,
  },
  {
    version: 3,
    name: 'unique usernames',
    // No PostgreSQL database predates this version, so there are no old duplicates to rename
    // (the SQLite migration's data step): the column can be NOT NULL at once [ST6].
    sql: `
      ALTER TABLE users ADD COLUMN username_key TEXT NOT NULL;
      CREATE UNIQUE INDEX users_username_key ON users(username_key);
    `,
  },
  {
    version: 4,
    name: 'canvas invitations',
    // As in SQLite: an email invitation (email set) or a share link (token_hash set), never both.
    // insert_order orders invitations made in one millisecond, as SQLite's rowid does.
    sql: `
      CREATE TABLE canvas_invites (
        id           TEXT PRIMARY KEY,
        canvas_id    TEXT NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        email        TEXT,
        token_hash   TEXT UNIQUE,
        role         TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
        created_by   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at   TIMESTAMPTZ NOT NULL,
        expires_at   BIGINT,
        insert_order BIGINT GENERATED ALWAYS AS IDENTITY,
        CHECK ((email IS NULL) <> (token_hash IS NULL))
      );
      CREATE UNIQUE INDEX canvas_invites_canvas_email ON canvas_invites(canvas_id, email) WHERE email IS NOT NULL;
      CREATE INDEX canvas_invites_email ON canvas_invites(email) WHERE email IS NOT NULL;
    `,
  },
  {
    version: 30,
    name: 'sign-in identities, accounts without a password',
    // As in SQLite: (issuer, subject) → user, and accounts created through OpenID Connect have
    // no password.
    sql: `
      ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
      CREATE TABLE user_identities (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        issuer       TEXT NOT NULL,
        subject      TEXT NOT NULL,
        email        TEXT,
        created_at   TIMESTAMPTZ NOT NULL,
        insert_order BIGINT GENERATED ALWAYS AS IDENTITY,
        UNIQUE (issuer, subject)
      );
      CREATE INDEX user_identities_user ON user_identities(user_id);
    `,
  },
]

import type { Migration } from '../../sqlite/migrate.js'
import type { SqliteDb } from '../../sqlite/openSqlite.js'
import { usernameKey } from '../canvasStore.js'

/**
 * Fills users.username_key, renaming later accounts whose username collides case-insensitively
 * with an earlier one ("Ada" stays, "ada" becomes "ada (2)"): startup must never fail on old
 * duplicates, and afterwards the unique index holds [ST6].
 */
function uniqueUsernames(db: SqliteDb): void {
  const users = db.prepare('SELECT id, username FROM users ORDER BY created_at, rowid').all() as {
    id: string
    username: string
  }[]
  const update = db.prepare('UPDATE users SET username = ?, username_key = ? WHERE id = ?')
  const taken = new Set<string>()
  for (const user of users) {
    let username = user.username
    for (let n = 2; taken.has(usernameKey(username)); n++) {
      const suffix = ` (${n})`
      username = `${[...user.username].slice(0, 40 - suffix.length).join('')}${suffix}`
    }
    taken.add(usernameKey(username))
    update.run(username, usernameKey(username), user.id)
  }
  db.exec('CREATE UNIQUE INDEX users_username_key ON users(username_key)')
}

/**
 * users.password_hash becomes optional (accounts created through OpenID Connect have none).
 * SQLite cannot drop a NOT NULL with ALTER TABLE, and rebuilding `users` would cascade-delete
 * every session, canvas and membership (foreign keys are on). Removing a NOT NULL changes no
 * stored byte, so the table's declaration is edited in place: the procedure SQLite's manual
 * gives for it ("ALTER TABLE", section "Making Other Kinds Of Table Schema Changes"). unsafeMode
 * lifts better-sqlite3's defensive mode, which forbids writing sqlite_schema, for that edit only.
 */
function dropPasswordNotNull(db: SqliteDb): void {
  const version = db.pragma('schema_version', { simple: true }) as number
  db.unsafeMode(true)
  try {
    db.pragma('writable_schema = ON')
    const changed = db
      .prepare(
        `UPDATE sqlite_schema SET sql = replace(sql, 'password_hash TEXT NOT NULL', 'password_hash TEXT')
         WHERE type = 'table' AND name = 'users'`,
      )
      .run().changes
    if (changed !== 1) throw new Error('migration 30: users table not found')
    db.pragma(`schema_version = ${version + 1}`)
    db.pragma('writable_schema = OFF')
  } finally {
    db.unsafeMode(false)
  }
  const check = db.pragma('integrity_check', { simple: true })
  if (check !== 'ok') throw new Error(`migration 30: integrity check failed: ${String(check)}`)
}

/**
 * The store's tables: accounts, sessions, canvases, members, invitations. Append only; versions are shared
 * with the log's migrations (src/sqlite/migrate.ts says how they are numbered).
 */
export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts and canvases',
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,
        username      TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL
      );
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE INDEX sessions_expiry ON sessions(expires_at);
      CREATE TABLE canvases (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        owner_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX canvases_owner ON canvases(owner_id);
      CREATE TABLE canvas_members (
        canvas_id  TEXT NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role       TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (canvas_id, user_id)
      );
      CREATE INDEX canvas_members_user ON canvas_members(user_id);
    `,
  },
  {
    version: 3,
    name: 'unique usernames',
    sql: 'ALTER TABLE users ADD COLUMN username_key TEXT',
    after: uniqueUsernames,
  },
  {
    version: 4,
    name: 'canvas invitations',
    // One row per invitation: an email one (email set) or a link (token_hash set), never both.
    sql: `
      CREATE TABLE canvas_invites (
        id         TEXT PRIMARY KEY,
        canvas_id  TEXT NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        email      TEXT,
        token_hash TEXT UNIQUE,
        role       TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
        created_by TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at INTEGER,
        CHECK ((email IS NULL) <> (token_hash IS NULL))
      );
      CREATE UNIQUE INDEX canvas_invites_canvas_email ON canvas_invites(canvas_id, email) WHERE email IS NOT NULL;
      CREATE INDEX canvas_invites_email ON canvas_invites(email) WHERE email IS NOT NULL;
    `,
  },
  {
    version: 30,
    name: 'sign-in identities, accounts without a password',
    sql: `
      CREATE TABLE user_identities (
        id         TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        issuer     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        email      TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (issuer, subject)
      );
      CREATE INDEX user_identities_user ON user_identities(user_id);
    `,
    after: dropPasswordNotNull,
  },
]

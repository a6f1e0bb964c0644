import type Database from 'better-sqlite3'
import { usernameKey } from '../canvasStore.js'

/**
 * Versioned schema, applied in order, each in its own transaction. Append only: a released
 * migration is never edited (a database that ran it would disagree with a fresh one).
 */
export interface Migration {
  version: number
  name: string
  sql: string
  /** Data changes SQL alone cannot make; runs after `sql`, in the same transaction. */
  after?: (db: Database.Database) => void
}

/**
 * Fills users.username_key, renaming later accounts whose username collides case-insensitively
 * with an earlier one ("Ada" stays, "ada" becomes "ada (2)"): startup must never fail on old
 * duplicates, and afterwards the unique index holds [ST5].
 */
function uniqueUsernames(db: Database.Database): void {
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

export const SQLITE_MIGRATIONS: readonly Migration[] = [
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
    version: 2,
    name: 'op log, log heads and snapshots',
    // Every table cascades from canvases: deleting a canvas deletes its log. user_id has no
    // foreign key on purpose: a deleted account's past operations stay in the history.
    // op_log_heads keeps headSeq when trim empties op_log, so seqs never restart [LOG1][LOG4].
    // op_log is WITHOUT ROWID: most ops are small, and rows are only ever read by their key.
    sql: `
      CREATE TABLE op_log (
        canvas_id TEXT    NOT NULL REFERENCES canvases(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL CHECK (seq >= 1),
        op_id     TEXT    NOT NULL,
        user_id   TEXT    NOT NULL,
        at        INTEGER NOT NULL,
        op        TEXT    NOT NULL,
        PRIMARY KEY (canvas_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE op_log_heads (
        canvas_id TEXT    PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        head_seq  INTEGER NOT NULL CHECK (head_seq >= 0)
      ) WITHOUT ROWID;
      CREATE TABLE canvas_snapshots (
        canvas_id TEXT    PRIMARY KEY REFERENCES canvases(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL CHECK (seq >= 0),
        objects   TEXT    NOT NULL,
        saved_at  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'unique usernames',
    sql: 'ALTER TABLE users ADD COLUMN username_key TEXT',
    after: uniqueUsernames,
  },
]

import { hashSessionToken, newSessionToken } from '../../src/auth/sessionTokens.js'
import { openPostgres } from '../../src/postgres/openPostgres.js'
import { openSqlite } from '../../src/sqlite/openSqlite.js'
import type { CanvasStore } from '../../src/store/canvasStore.js'
import { PostgresCanvasStore } from '../../src/store/postgres/postgresCanvasStore.js'
import { SqliteCanvasStore } from '../../src/store/sqlite/sqliteCanvasStore.js'
import type { Cluster } from './cluster.js'

export interface CrowdMember {
  userId: string
  /** A session token, as POST /api/register would have returned. */
  token: string
}

export interface Crowd {
  canvasId: string
  /** The owner first, then the editors. */
  members: CrowdMember[]
}

const SESSION_MS = 3_600_000

/**
 * A canvas shared with `size - 1` editors, written through the deployment's own store (SQLite in
 * the cluster's DATA_DIR, or its PostgreSQL schema) rather than the HTTP API: registering
 * thousands of users would hash thousands of passwords (argon2id, ~16 ms each on a shared core)
 * and meet the per-canvas member cap, neither of which a presence test is about. The users get
 * sessions the servers accept like any other; nobody logs in with the placeholder password hash.
 */
export async function seedCrowd(cluster: Cluster, size: number): Promise<Crowd> {
  const limits = { maxCanvasesPerOwner: 1, maxMembersPerCanvas: size }
  let store: CanvasStore
  let close: () => Promise<void>
  if (cluster.databaseUrl !== undefined) {
    const pool = openPostgres(cluster.databaseUrl, { onIdleError: () => undefined })
    store = new PostgresCanvasStore(pool, Date.now, limits)
    close = () => pool.end()
  } else {
    const db = openSqlite(cluster.dataDir)
    // This connection only seeds: thousands of commits need no fsync each (WAL keeps them atomic).
    db.pragma('synchronous = OFF')
    store = new SqliteCanvasStore(db, Date.now, limits)
    close = () => {
      db.close()
      return Promise.resolve()
    }
  }
  try {
    const tag = newSessionToken().slice(0, 8)
    const members = await inBatches(size, async (i) => {
      const user = await store.createUser({
        email: `crowd-${tag}-${i}@example.test`,
        username: `crowd ${tag} ${i}`,
        passwordHash: 'not a password hash: nobody logs in as a seeded user',
      })
      const token = newSessionToken()
      await store.createSession({
        tokenHash: hashSessionToken(token),
        userId: user.id,
        expiresAt: Date.now() + SESSION_MS,
      })
      return { userId: user.id, token }
    })
    const [owner, ...editors] = members
    if (owner === undefined) throw new Error('a crowd needs at least one member')
    const canvas = await store.createCanvas({ name: `crowd ${tag}`, ownerId: owner.userId })
    await inBatches(editors.length, (i) =>
      store.upsertMember(canvas.id, (editors[i] as CrowdMember).userId, 'editor'),
    )
    return { canvasId: canvas.id, members }
  } finally {
    await close()
  }
}

/** `count` calls, 16 at a time (PostgreSQL round trips overlap; SQLite runs them one by one anyway). */
async function inBatches<T>(count: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = []
  for (let start = 0; start < count; start += 16) {
    const batch = Array.from({ length: Math.min(16, count - start) }, (_, k) => call(start + k))
    results.push(...(await Promise.all(batch)))
  }
  return results
}

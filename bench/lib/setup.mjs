/**
 * Who connects where, for each scenario and target of `npm run bench:ws`.
 *
 * Layouts are target-independent: user indices per canvas key. For CollabCanvas they are
 * realised through its HTTP API (POST /api/register → sessionId, POST /api/canvases,
 * POST /api/canvases/:id/members as editor, accepted by the member); users are registered once per bench invocation in
 * parallel batches (argon2id costs ~16 ms each) and reused by every scenario and run (their
 * sessions live in the run's DATA_DIR, which survives server restarts). The relays accept any
 * token and any canvas id, so they get synthetic ones.
 *
 * Not run directly; used by bench/wsBench.mjs.
 */
import { randomBytes } from 'node:crypto'
import { apiRequest, inParallel, shareAsEditor } from './api.mjs'

/** Canvases of a load scenario: `canvases` canvases of `users / canvases` users each. */
export function loadLayout(key, users, canvases) {
  const per = Math.ceil(users / canvases)
  return Array.from({ length: canvases }, (_, j) => ({
    key: `${key}${j}`,
    users: Array.from({ length: Math.min(per, users - j * per) }, (_, k) => j * per + k),
  })).filter((c) => c.users.length > 0)
}

/**
 * Scenario (c): `users` users, each with a private canvas, and `conns` connections dealt round
 * robin over them (so a few per canvas: joining a canvas announces the newcomer to everyone in
 * it, which would be quadratic with thousands in one canvas).
 */
export function idleLayout(conns, users) {
  const canvases = Array.from({ length: users }, (_, i) => ({ key: `idle${i}`, users: [i] }))
  const connections = Array.from({ length: conns }, (_, i) => ({
    canvasKey: `idle${i % users}`,
    user: i % users,
  }))
  return { canvases, connections }
}

/** Relays: any token, any canvas id. */
export class RelaySetup {
  async token(user) {
    return `relay-token-${user}`
  }

  async canvasId(canvas) {
    return `relay-${canvas.key}`
  }
}

/** CollabCanvas: real users, sessions and shared canvases, created on first use and cached. */
export class CollabCanvasSetup {
  constructor(log) {
    this.log = log
    this.baseUrl = undefined
    this.tag = randomBytes(4).toString('hex')
    this.users = []
    this.canvases = new Map()
    this.registering = Promise.resolve()
  }

  /** The API to use from now on (servers are restarted per run; the data stays). */
  useServer(baseUrl) {
    this.baseUrl = baseUrl
  }

  email(i) {
    return `bench-${this.tag}-${i}@bench.example.com`
  }

  /** Registers users 0…n−1 that do not exist yet, `concurrency` at a time; calls are serialised. */
  ensureUsers(n, concurrency = 8) {
    this.registering = this.registering.then(() => this.register(n, concurrency))
    return this.registering
  }

  async register(n, concurrency) {
    const missing = Array.from(
      { length: Math.max(0, n - this.users.length) },
      (_, k) => this.users.length + k,
    )
    if (missing.length === 0) return
    const t0 = Date.now()
    const registered = await inParallel(missing, concurrency, async (i) => {
      const body = await apiRequest(this.baseUrl, 'POST', '/api/register', {
        body: { email: this.email(i), username: `bench${i}`, password: `bench-password-${this.tag}` },
      })
      return { email: this.email(i), userId: body.user.id, token: body.sessionId }
    })
    for (const [k, i] of missing.entries()) this.users[i] = registered[k]
    this.log(`registered ${missing.length} users in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }

  async token(user) {
    await this.ensureUsers(user + 1)
    return this.users[user].token
  }

  /** The canvas with `canvas.users[0]` as owner and the others as editors. */
  async canvasId(canvas) {
    const known = this.canvases.get(canvas.key)
    if (known) return known
    await this.ensureUsers(Math.max(...canvas.users) + 1)
    const [owner, ...members] = canvas.users
    const created = await apiRequest(this.baseUrl, 'POST', '/api/canvases', {
      token: this.users[owner].token,
      body: { name: `bench ${canvas.key}` },
    })
    const id = created.canvas.id
    for (const m of members) {
      await shareAsEditor(this.baseUrl, this.users[owner].token, id, this.users[m])
    }
    this.canvases.set(canvas.key, id)
    return id
  }
}

/** Resolves a layout to what the clients need: canvas ids and tokens, `concurrency` canvases at a time. */
export async function resolveCanvases(setup, layout, concurrency = 8) {
  return inParallel(layout, concurrency, async (canvas) => ({
    canvasId: await setup.canvasId(canvas),
    tokens: await Promise.all(canvas.users.map((u) => setup.token(u))),
  }))
}

import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../support/cli.js'
import { systemClock } from '../../support/clock.js'
import { createCanvas, registerUser, shareCanvas, TEST_PASSWORD } from '../../support/fixtures.js'
import { useTestSchema } from '../../support/postgres.js'
import { startTestServer, type TestServer } from '../../support/startTestServer.js'
import { tempDir } from '../../support/tempDir.js'
import { WsTestClient } from '../../support/wsTestClient.js'

// [OPS5] `collabcanvas users disable <email>`, run as its own process, ends that user's sessions
// and sockets within 1 s on every instance sharing the database, and nobody else's.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Cluster {
  instances: [TestServer, TestServer]
  /** The CLI's environment: the same database. */
  env: Record<string, string>
}

async function twoInstances(kind: 'sqlite' | 'postgres'): Promise<Cluster> {
  if (kind === 'postgres') {
    const schema = await useTestSchema()
    const env = { DATABASE_URL: schema.url }
    const a = await startTestServer({ env, clock: systemClock() })
    cleanups.push(() => a.close())
    const b = await startTestServer({ env, clock: systemClock() })
    cleanups.push(() => b.close())
    return { instances: [a, b], env }
  }
  const dir = tempDir('collabcanvas-disable-')
  cleanups.push(() => dir.remove())
  const a = await startTestServer({ dataDir: dir.path, clock: systemClock() })
  cleanups.push(() => a.close())
  const b = await startTestServer({ dataDir: dir.path, clock: systemClock() })
  cleanups.push(() => b.close())
  return { instances: [a, b], env: { DATA_DIR: dir.path } }
}

describe.each(['sqlite', 'postgres'] as const)('users disable on %s', (kind) => {
  it(`[OPS5] when an operator disables an account (${kind}), then its sockets on both instances close within 1 s with 4401, its sessions and logins are refused, and other users stay connected`, async () => {
    const { instances, env } = await twoInstances(kind)
    const [a, b] = instances
    const target = await registerUser(a.http, { username: 'To disable' })
    const other = await registerUser(a.http, { username: 'Stays' })
    const canvas = await createCanvas(a.http, other, 'shared')
    await shareCanvas(a.http, other, canvas.id, target, 'editor')
    const sockets = await Promise.all([
      WsTestClient.connect(a.baseUrl, canvas.id, { token: target.token }),
      WsTestClient.connect(b.baseUrl, canvas.id, { token: target.token }),
    ])
    const bystander = await WsTestClient.connect(b.baseUrl, canvas.id, { token: other.token })
    cleanups.push(() => [...sockets, bystander].forEach((s) => s.close()))

    const res = await runCli(['users', 'disable', target.email.toUpperCase()], env)
    const disabledAt = performance.now()
    expect(res.code, res.stderr).toBe(0)
    expect(JSON.parse(res.stdout)).toMatchObject({
      msg: 'account disabled',
      userId: target.id,
      sessionsEnded: 1,
    })
    const closes = await Promise.all(sockets.map((s) => s.waitForClose(5_000)))
    const elapsedMs = performance.now() - disabledAt
    process.stdout.write(
      `[OPS5] ${kind}: both sockets closed ${elapsedMs.toFixed(0)} ms after the command exited\n`,
    )
    for (const close of closes) expect(close.code).toBe(4401)
    expect(elapsedMs).toBeLessThan(1_000)

    for (const server of instances) {
      const session = await server.http.send({ method: 'GET', url: '/api/session', token: target.token })
      expect(session.status).toBe(401)
    }
    const login = await b.http.send({
      method: 'POST',
      url: '/api/login',
      json: { email: target.email, password: TEST_PASSWORD },
    })
    expect(login.status).toBe(401)
    // The bystander's socket is untouched: it still gets answers.
    bystander.send({ type: 'ping', t: 1 })
    await bystander.waitFor((m) => m.type === 'pong')
    const otherSession = await a.http.send({ method: 'GET', url: '/api/session', token: other.token })
    expect(otherSession.status).toBe(200)
  }, 30_000)
})

describe('users command input', () => {
  it('[OPS5] when users gets an unknown email, a wrong subcommand or no email, then it says so and exits non-zero without disabling anyone', async () => {
    const dir = tempDir('collabcanvas-disable-')
    cleanups.push(() => dir.remove())
    const unknown = await runCli(['users', 'disable', 'nobody@example.test'], { DATA_DIR: dir.path })
    expect(unknown).toMatchObject({ code: 1 })
    expect(unknown.stderr).toMatch(/no account with the email nobody@example.test/)
    for (const args of [
      ['users'],
      ['users', 'delete', 'a@b.c'],
      ['users', 'disable'],
      ['users', 'disable', 'a@b.c', 'extra'],
    ]) {
      const res = await runCli(args, { DATA_DIR: dir.path })
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.stderr).toMatch(/usage: collabcanvas users disable <email>/)
    }
  }, 30_000)
})

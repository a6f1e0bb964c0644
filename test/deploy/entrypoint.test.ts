import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { requireBuiltCli, watchOutput, type WatchedOutput } from '../support/cli.js'
import { killAndWait, listeningMessage, startOnFreePort, waitForHealth } from '../support/serverProcess.js'
import { tempDir } from '../support/tempDir.js'

// The image's entry point (deploy/docker-entrypoint.sh) run on the host exactly as the image
// runs it: `/app/deploy/docker-entrypoint.sh <command>`, APP_DIR being the script's parent.

const ENTRYPOINT = fileURLToPath(new URL('../../deploy/docker-entrypoint.sh', import.meta.url))

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Entrypoint extends WatchedOutput {
  child: ReturnType<typeof spawn>
}

function entrypoint(args: readonly string[], env: Record<string, string>, stdin?: string): Entrypoint {
  requireBuiltCli()
  const child = spawn(ENTRYPOINT, args, {
    // As the image sets them (Dockerfile ENV), plus the test's.
    env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, NODE_ENV: 'production', ...env },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  if (stdin !== undefined) child.stdin?.end(stdin)
  return { child, ...watchOutput(child) }
}

async function run(args: readonly string[], env: Record<string, string>, stdin?: string) {
  const e = entrypoint(args, env, stdin)
  const exit = await e.exited
  return { ...exit, stdout: e.stdout(), stderr: e.stderr() }
}

describe('the image entry point', () => {
  it('[OPS1] when the entry point runs with no command (start), then the server serves /health, and SIGTERM reaches Node, which drains and exits 0', async () => {
    const dir = tempDir('collabcanvas-entry-')
    cleanups.push(() => dir.remove())
    const { server, baseUrl } = await startOnFreePort({
      start: (port) =>
        entrypoint([], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir.path, LOG_LEVEL: 'info' }),
      listening: (s, port) =>
        s.waitFor(
          (out) => (out.includes(listeningMessage(port)) ? true : undefined),
          'the listening line',
          30_000,
        ),
      stop: (s) => killAndWait(s.child, s.exited),
      output: (s) => s.stdout() + s.stderr(),
    })
    cleanups.push(() => killAndWait(server.child, server.exited))
    await waitForHealth(baseUrl, server.child, () => server.stdout() + server.stderr())
    const health = (await (await fetch(`${baseUrl}/health`)).json()) as { status: string }
    expect(health.status).toBe('ok')
    // exec: the entry point's pid is Node's, so the signal `docker stop` sends arrives there.
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.stdout()).toContain('"msg":"shutting down"')
  }, 60_000)

  it('[OPS1] when `migrate` runs twice, then the first applies every migration and the second none, and the schema is the same', async () => {
    const dir = tempDir('collabcanvas-entry-')
    cleanups.push(() => dir.remove())
    const first = await run(['migrate'], { DATA_DIR: dir.path })
    expect(first.code, first.stderr).toBe(0)
    const applied = (out: string) =>
      JSON.parse(out.trim().split('\n').at(-1) as string) as { applied: number[]; version: number }
    expect(applied(first.stdout).applied.length).toBeGreaterThan(0)
    expect(applied(first.stdout).applied).toContain(40)
    const schema = () => {
      const db = new Database(path.join(dir.path, 'canvas.db'), { readonly: true })
      try {
        return db
          .prepare("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name")
          .all()
      } finally {
        db.close()
      }
    }
    const before = schema()
    const second = await run(['migrate'], { DATA_DIR: dir.path })
    expect(second.code, second.stderr).toBe(0)
    expect(applied(second.stdout)).toMatchObject({ applied: [], version: applied(first.stdout).version })
    expect(schema()).toEqual(before)
  }, 30_000)

  it('[OPS1] when `console` gets expressions on stdin, then it has the services loaded, answers them, and exits 0 on EOF', async () => {
    const dir = tempDir('collabcanvas-entry-')
    cleanups.push(() => dir.remove())
    const script = [
      "typeof store.findUserByEmail + ':' + typeof accounts.register + ':' + typeof opLog + ':' + typeof triggers.stats",
      "(await store.findUserByEmail('nobody@example.test')) === undefined ? 'no such user' : 'found'",
      '',
    ].join('\n')
    const res = await run(['console'], { DATA_DIR: dir.path }, script)
    expect(res.code, res.stderr).toBe(0)
    expect(res.stdout).toContain('Loaded: deps, config, store, accounts, invites, opLog, triggers')
    expect(res.stdout).toContain("'function:function:object:function'")
    expect(res.stdout).toContain("'no such user'")
    expect(fs.existsSync(path.join(dir.path, 'canvas.db'))).toBe(true)
  }, 30_000)

  it('[OPS1] when `test` runs, then the self-test passes on a throwaway database and leaves DATA_DIR alone', async () => {
    const dir = tempDir('collabcanvas-entry-')
    cleanups.push(() => dir.remove())
    const res = await run(['test'], { DATA_DIR: dir.path })
    expect(res.code, res.stderr).toBe(0)
    expect(JSON.parse(res.stdout.trim())).toMatchObject({
      msg: 'selftest passed',
      steps: [
        'GET /health 200',
        'POST /api/register 201',
        'POST /api/canvases 201',
        expect.stringMatching(/state 200$/),
      ],
    })
    expect(fs.readdirSync(dir.path)).toEqual([])
  }, 30_000)

  it('[OPS1] when `shell` runs with -c, then it is a shell in the app directory; an unknown command runs as a program', async () => {
    const shell = await run(['shell', '-c', 'echo "shell ok $0"'], {})
    expect(shell.code, shell.stderr).toBe(0)
    expect(shell.stdout).toMatch(/^shell ok /)
    const other = await run(['node', '-e', 'console.log(process.version)'], {})
    expect(other).toMatchObject({ code: 0, stdout: `${process.version}\n` })
  })
})

import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SQLITE_MIGRATIONS } from '../../src/server/deps.js'
import { SQLITE_FILE_NAME } from '../../src/sqlite/openSqlite.js'
import { runCli, startCli } from '../support/cli.js'
import { killAndWait, listeningMessage, startOnFreePort } from '../support/serverProcess.js'
import { tempDir } from '../support/tempDir.js'

// The compiled CLI (dist/server/main.js) as an operator runs it.

function dataDir(): string {
  const dir = tempDir()
  onTestFinished(() => dir.remove())
  return dir.path
}

function openDatabase(dir: string): Database.Database {
  const db = new Database(path.join(dir, SQLITE_FILE_NAME))
  onTestFinished(() => {
    db.close()
  })
  return db
}

describe('collabcanvas migrate', () => {
  it('when run on an empty DATA_DIR then exit 0 and every migration is recorded; run again, still 0', async () => {
    const dir = dataDir()
    const first = await runCli(['migrate'], { DATA_DIR: dir, LOG_LEVEL: 'info' })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('migrations done')
    const second = await runCli(['migrate'], { DATA_DIR: dir, LOG_LEVEL: 'info' })
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('"applied":[]')

    const db = openDatabase(dir)
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(
      SQLITE_MIGRATIONS.flat()
        .sort((a, b) => a.version - b.version)
        .map((m) => ({ version: m.version, name: m.name })),
    )
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('[ST8] when four processes migrate one empty DATA_DIR at once (BUS=sqlite instances starting together), then each exits 0 and every migration ran once', async () => {
    const dir = dataDir()
    const runs = await Promise.all(
      [1, 2, 3, 4].map(() => runCli(['migrate'], { DATA_DIR: dir, LOG_LEVEL: 'info' })),
    )
    for (const run of runs) expect(run.code, run.stderr).toBe(0)
    const applied = runs.flatMap(
      (r) => JSON.parse(/"applied":(\[[\d,]*\])/.exec(r.stdout)?.[1] ?? 'null') as number[],
    )
    const versions = SQLITE_MIGRATIONS.flat()
      .map((m) => m.version)
      .sort((a, b) => a - b)
    expect(applied.sort((a, b) => a - b)).toEqual(versions)
    const db = openDatabase(dir)
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(
      versions,
    )
  })
})

describe('collabcanvas serve: configuration errors', () => {
  it.each([
    ['PORT=abc', 'PORT', { PORT: 'abc' }],
    ['BUS=foo', 'BUS', { BUS: 'foo' }],
    ['BUS=sqlite with DATABASE_URL', 'BUS', { BUS: 'sqlite', DATABASE_URL: 'postgres://127.0.0.1:1/none' }],
  ])('when %s then exit 1 with one stderr line naming %s', async (_case, variable, env) => {
    const res = await runCli(['serve'], { DATA_DIR: dataDir(), HOST: '127.0.0.1', ...env })
    expect(res.code).toBe(1)
    const lines = res.stderr.split('\n').filter((l) => l !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(variable)
    expect(res.stderr).not.toMatch(/\bat .+:\d+:\d+/)
  })

  it('when the command is unknown then exit 2 with the usage', async () => {
    const res = await runCli(['frobnicate'], { DATA_DIR: dataDir() })
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/^usage: collabcanvas/)
  })
})

describe('collabcanvas serve: graceful shutdown', () => {
  it('when SIGTERM arrives then exit 0 and the database is closed cleanly', async () => {
    const dir = dataDir()
    // Retried on another port if one freed by freePort() is taken before the server binds it.
    const { server, baseUrl } = await startOnFreePort({
      start: (port) =>
        startCli(['serve'], { DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info' }),
      listening: (s, port) => s.waitForStdout(new RegExp(listeningMessage(port).replace(/[.]/g, '\\.'))),
      stop: (s) => killAndWait(s.child, s.exited),
      output: (s) => s.stdout() + s.stderr(),
    })
    onTestFinished(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL')
    })

    const health = await fetch(`${baseUrl}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'collabcanvas' })
    const register = await fetch(`${baseUrl}/api/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'shutdown@example.test', username: 'bye', password: 'plum tree 1994' }),
    })
    expect(register.status).toBe(201)

    server.child.kill('SIGTERM')
    const { code, signal } = await server.exited
    expect({ code, signal }, server.stderr()).toEqual({ code: 0, signal: null })
    expect(server.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/)

    // The last connection closed properly: SQLite checkpointed and removed the WAL file.
    expect(fs.existsSync(path.join(dir, `${SQLITE_FILE_NAME}-wal`))).toBe(false)
    const db = openDatabase(dir)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    expect(db.prepare('SELECT username FROM users WHERE email = ?').get('shutdown@example.test')).toEqual({
      username: 'bye',
    })
  })
})

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { createDeps } from '../deps.js'
import type { CommandResult } from './backupCommands.js'

/**
 * `collabcanvas selftest` (the image's `test` command): proves the installed build works on this
 * machine — native SQLite module, migrations, HTTP, accounts, canvases — on a throwaway database
 * in a temp dir and a loopback port, never the configured DATA_DIR or DATABASE_URL. The full
 * suite needs the dev dependencies: run it in the build stage (docs/operations.md).
 */
export async function runSelftest(): Promise<CommandResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collabcanvas-selftest-'))
  const config = loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' })
  const deps = createDeps(config)
  const app = await buildApp(deps)
  const steps: string[] = []
  try {
    await app.listen({ host: config.host, port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('the server has no TCP address')
    const base = `http://127.0.0.1:${address.port}`
    const call = async (url: string, init: RequestInit, expected: number): Promise<unknown> => {
      const res = await fetch(`${base}${url}`, init)
      const body: unknown = await res.json()
      if (res.status !== expected)
        throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`)
      steps.push(`${init.method ?? 'GET'} ${url} ${res.status}`)
      return body
    }
    await call('/health', {}, 200)
    const json = { 'content-type': 'application/json' }
    const signedIn = (await call(
      '/api/register',
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          email: 'selftest@example.test',
          username: 'selftest',
          password: 'selftest password 1234',
        }),
      },
      201,
    )) as { sessionId: string }
    const auth = { ...json, authorization: `Bearer ${signedIn.sessionId}` }
    const created = (await call(
      '/api/canvases',
      { method: 'POST', headers: auth, body: JSON.stringify({ name: 'selftest' }) },
      201,
    )) as { canvas: { id: string } }
    await call(`/api/canvases/${created.canvas.id}/state`, { headers: auth }, 200)
    return { code: 0, out: JSON.stringify({ msg: 'selftest passed', node: process.version, steps }) }
  } catch (err) {
    return {
      code: 1,
      out: `collabcanvas selftest failed after ${JSON.stringify(steps)}: ${(err as Error).message}`,
    }
  } finally {
    await app.close()
    await deps.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { sendWebhook } from '../../src/triggers/webhookSender.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'
import { WebhookReceiver } from '../support/webhookReceiver.js'

// Supply chain [C1]–[C3] (../shared/reliability.md): advisory floors against the lockfile, the
// runtime's floor, lockfile hygiene.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T

interface LockEntry {
  version?: string
  integrity?: string
  resolved?: string
  link?: boolean
  hasInstallScript?: boolean
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}
const lock = readJson<{ lockfileVersion: number; packages: Record<string, LockEntry> }>('package-lock.json')
const pkg = readJson<{
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  allowScripts: Record<string, boolean>
}>('package.json')
const floors = readJson<{ packages: Record<string, { floor: string }>; sqlite: { floor: string } }>(
  'supply-chain/advisory-floors.json',
)

/** Compares dotted numeric versions (a prerelease counts as below its release). */
function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('-', 2)
    return { parts: core.split('.').map(Number), pre: pre !== undefined }
  }
  const x = parse(a)
  const y = parse(b)
  for (let i = 0; i < 3; i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0)
    if (d !== 0) return d
  }
  return Number(y.pre) - Number(x.pre)
}

/** Every installed copy: the package's name is what follows the last node_modules/ of its path. */
const entries = Object.entries(lock.packages)
  .filter(([key]) => key.includes('node_modules/'))
  .map(([key, entry]) => ({
    key,
    name: key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length),
    entry,
  }))

describe('[C1] advisory floors', () => {
  it('[C1] when every copy of a package in package-lock.json is compared with supply-chain/advisory-floors.json, then none is below its floor, and the floors name every package of the catalogue', () => {
    expect(Object.keys(floors.packages)).toEqual(
      expect.arrayContaining([
        'ws',
        'fastify',
        '@fastify/websocket',
        'socket.io',
        'engine.io',
        '@fastify/proxy-addr',
        'better-sqlite3',
      ]),
    )
    const checked: string[] = []
    const below: string[] = []
    for (const { key, name, entry } of entries) {
      const floor = floors.packages[name]?.floor
      if (floor === undefined || entry.version === undefined) continue
      checked.push(`${key}@${entry.version}`)
      if (compareVersions(entry.version, floor) < 0) below.push(`${key}@${entry.version} < ${floor}`)
    }
    expect(below).toEqual([])
    // Not vacuous: the server's own ws, fastify and proxy-addr are in the lockfile.
    for (const name of ['ws', 'fastify', '@fastify/proxy-addr', 'better-sqlite3']) {
      expect(
        checked.some((c) => c.startsWith(`node_modules/${name}@`)),
        name,
      ).toBe(true)
    }
  })

  it('[C1] when better-sqlite3 is loaded, then the SQLite it bundles is at or above the floor', () => {
    const db = new Database(':memory:')
    const version = db.prepare('SELECT sqlite_version()').pluck().get() as string
    db.close()
    process.stdout.write(`[C1] bundled SQLite ${version} (floor ${floors.sqlite.floor})\n`)
    expect(compareVersions(version, floors.sqlite.floor)).toBeGreaterThanOrEqual(0)
  })
})

/** Node lines past end of life on the date of this check (even lines get LTS; odd lines last months). */
function isEndOfLife(major: number, today: Date): boolean {
  const END_OF_LIFE: Record<number, string> = {
    18: '2025-04-30',
    20: '2026-04-30',
    22: '2027-04-30',
    24: '2028-04-30',
  }
  const end = END_OF_LIFE[major]
  if (major % 2 === 1 || major < 18) return true
  return end !== undefined && today > new Date(end)
}

describe('[C2] runtime floor', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server.close())

  it('[C2] when the runtime is an end-of-life Node line, then the Brotli mitigations hold: a br request body is refused unread [I2] and webhook deliveries ask for identity encoding [S4]', async () => {
    const major = Number(process.versions.node.split('.')[0])
    const eol = isEndOfLife(major, new Date())
    process.stdout.write(
      `[C2] node ${process.version}, brotli ${process.versions.brotli ?? 'none'}, ${eol ? 'end of life: Brotli mitigations required' : 'supported line'}\n`,
    )
    // Checked on every line (cheap), required on an EOL one.
    const res = await fetch(`${server.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br', origin: server.baseUrl },
      body: Buffer.from([0x8b, 0x02, 0x80, 0xff, 0xff, 0xff]),
    })
    expect(res.status).toBe(415)
    // A real delivery to a receiver that answers with a Brotli bomb's header: asked for identity,
    // and the body is counted, never decoded (S4 in webhookSsrf.test.ts tries the large ones).
    const receiver = await WebhookReceiver.start()
    onTestFinished(() => receiver.close())
    receiver.respond = (_req, reply) => {
      reply
        .writeHead(200, { 'content-encoding': 'br' })
        .end(Buffer.from([0x8b, 0x02, 0x80, 0xff, 0xff, 0xff]))
    }
    const delivered = await sendWebhook({
      url: new URL(`${receiver.url}/hook`),
      address: { address: '127.0.0.1', family: 4 },
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 5_000,
    })
    expect(delivered).toMatchObject({ statusCode: 200, error: null })
    expect(receiver.received.map((r) => r.headers['accept-encoding'])).toEqual(['identity'])
  })
})

describe('[C3] lockfile hygiene', () => {
  it('[C3] when lockfile-lint checks package-lock.json (npm hosts only, https, integrity), then it reports no issues', () => {
    const bin = path.join(ROOT, 'node_modules/.bin/lockfile-lint')
    const res = spawnSync(
      bin,
      [
        '--path',
        'package-lock.json',
        '--type',
        'npm',
        '--allowed-hosts',
        'npm',
        '--validate-https',
        '--validate-integrity',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    )
    expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0)
    expect(res.stdout).toMatch(/No issues detected/)
  })

  it('[C3] when the lockfile is read, then every package has a sha512 integrity, nothing comes from git, files or plain http, the root matches package.json, and only allowScripts packages have install scripts', () => {
    expect(lock.lockfileVersion).toBe(3)
    const problems: string[] = []
    for (const { key, entry } of entries) {
      if (entry.link) continue
      if (!entry.integrity?.startsWith('sha512-'))
        problems.push(`${key}: integrity ${entry.integrity ?? 'missing'}`)
      if (entry.resolved !== undefined && !entry.resolved.startsWith('https://registry.npmjs.org/')) {
        problems.push(`${key}: resolved from ${entry.resolved}`)
      }
    }
    expect(problems).toEqual([])
    const root = lock.packages[''] as LockEntry
    // What `npm ci` compares: a mismatch fails a fresh install ("Missing … from lock file").
    expect(root.dependencies).toEqual(pkg.dependencies)
    expect(root.devDependencies).toEqual(pkg.devDependencies)
    // Every install script is reviewed: approved (true, it runs) or denied (false, npm skips it).
    const withScripts = entries.filter((e) => e.entry.hasInstallScript).map((e) => e.name)
    expect([...new Set(withScripts)].sort()).toEqual(Object.keys(pkg.allowScripts).sort())
  })
})

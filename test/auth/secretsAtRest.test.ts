import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { hashSessionToken } from '../../src/auth/sessionTokens.js'
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/openSqlite.js'
import { registerUser, uniqueEmail, type SignedInBody } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/startTestServer.js'

// Acceptance 4: no password and no session token in clear, neither in the database files nor
// in the logs.

const PASSWORD = 'Sup3r-Secret-Passw0rd!'

/** Every byte SQLite keeps for this database: the main file, the WAL and its index. */
function databaseBytes(dataDir: string): Buffer {
  const base = path.join(dataDir, SQLITE_FILE_NAME)
  return Buffer.concat(
    [base, `${base}-wal`, `${base}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)),
  )
}

/** Registers, logs in twice and uses both sessions: every path that touches a secret. */
async function signInEveryWay(server: TestServer) {
  const email = uniqueEmail('secret')
  const user = await registerUser(server.http, { email, password: PASSWORD })
  const login = await server.http.send<SignedInBody>({
    method: 'POST',
    url: '/api/login',
    json: { email, password: PASSWORD },
  })
  expect(login.status).toBe(200)
  const wrong = await server.http.send({
    method: 'POST',
    url: '/api/login',
    json: { email, password: `${PASSWORD}-wrong` },
  })
  expect(wrong.status).toBe(401)
  const tokens = [user.token, login.body.sessionId]
  for (const token of tokens) {
    expect((await server.http.send({ method: 'GET', url: '/api/session', token })).status).toBe(200)
    expect(
      (await server.http.send({ method: 'GET', url: '/api/session', sessionCookie: token })).status,
    ).toBe(200)
  }
  const canvas = await server.http.send({
    method: 'POST',
    url: '/api/canvases',
    sessionCookie: login.body.sessionId,
    headers: { origin: server.baseUrl },
    json: { name: 'logged' },
  })
  expect(canvas.status).toBe(201)
  return { email, userId: user.id, tokens }
}

describe('secrets at rest', () => {
  it('[A1] when an account is registered then the database holds an argon2id hash with m=19456,t=2,p=1', async () => {
    const server = await startTestServer()
    try {
      const { email } = await signInEveryWay(server)
      const db = new Database(path.join(server.dataDir, SQLITE_FILE_NAME), { readonly: true })
      try {
        const row = db.prepare('SELECT password_hash FROM users WHERE email = ?').get(email) as
          { password_hash: string } | undefined
        expect(row?.password_hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true)
      } finally {
        db.close()
      }
    } finally {
      await server.close()
    }
  })

  it('when users registered and logged in then neither the password nor any session token is in the database files', async () => {
    const server = await startTestServer()
    try {
      const { email, tokens } = await signInEveryWay(server)
      const bytes = databaseBytes(server.dataDir)
      // The files are the right ones: what is meant to be stored is there.
      expect(bytes.includes(email)).toBe(true)
      for (const token of tokens) expect(bytes.includes(hashSessionToken(token))).toBe(true)

      expect(bytes.includes(PASSWORD)).toBe(false)
      expect(bytes.includes(`${PASSWORD}-wrong`)).toBe(false)
      for (const token of tokens) expect(bytes.includes(token)).toBe(false)
    } finally {
      await server.close()
    }
  })
})

describe('secrets in logs', () => {
  it('when requests are logged at debug level then no password and no session token appears', async () => {
    const chunks: string[] = []
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString('utf8'))
        done()
      },
    })
    const server = await startTestServer({ logDestination: destination })
    try {
      const { tokens } = await signInEveryWay(server)
      await server.http.send({ method: 'POST', url: '/api/logout', token: tokens[0] })
      const logs = chunks.join('')
      // The logs are real: every request was logged, with ids that are not secret.
      expect(logs).toContain('"msg":"incoming request"')
      expect(logs).toContain('/api/login')
      const completed = logs.split('\n').filter((l) => l.includes('"msg":"request completed"'))
      expect(completed.length).toBeGreaterThanOrEqual(8)
      // Each request's lines carry its own id, bound by Fastify's per-request child logger.
      const ids = completed.map((l) => (JSON.parse(l) as { reqId?: string }).reqId)
      expect(new Set(ids).size).toBe(completed.length)
      for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/)

      expect(logs).not.toContain(PASSWORD)
      for (const token of tokens) {
        expect(logs).not.toContain(token)
        expect(logs).not.toContain(hashSessionToken(token))
      }
      expect(logs).not.toContain('$argon2id$')
    } finally {
      await server.close()
    }
  })
})

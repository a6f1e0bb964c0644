import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, SignJWT, jwtVerify } from 'jose'
import { describe, expect, it, onTestFinished } from 'vitest'
import { JwksCache } from '../../src/auth/oidc/jwksCache.js'
import { testClock } from '../support/clock.js'

// [J3] The JWKS cache on its own, against real local HTTP servers: fetches bounded per
// cooldown, a hanging provider costs one timeout, stale keys serve while the provider is down.

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

async function keyServer(behaviour: { hang?: boolean; down?: boolean }) {
  let requests = 0
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const server: Server = createServer((_req, res) => {
    requests += 1
    if (behaviour.hang) return
    if (behaviour.down) {
      res.writeHead(503).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, requests: () => requests }
}

const tokenWithKid = (kid: string) =>
  new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('5m').sign(privateKey)

describe('[J3] JwksCache', () => {
  it('[J3] when tokens with unknown kids keep coming then the key set is fetched at most once per cooldown', async () => {
    const server = await keyServer({})
    const clock = testClock()
    const cache = new JwksCache(() => server.url, { now: clock.now, cooldownMs: 30_000 })
    await jwtVerify(await tokenWithKid('k1'), cache.getKey)
    expect(server.requests()).toBe(1)
    const unknown = await tokenWithKid('unknown')
    for (let i = 0; i < 50; i++) await expect(jwtVerify(unknown, cache.getKey)).rejects.toThrow()
    expect(server.requests()).toBe(1)
    clock.advance(30_000)
    for (let i = 0; i < 50; i++) await expect(jwtVerify(unknown, cache.getKey)).rejects.toThrow()
    expect(server.requests()).toBe(2)
  })

  it('[J3] when the provider accepts but never answers then a verification fails after the timeout, not later', async () => {
    const server = await keyServer({ hang: true })
    const cache = new JwksCache(() => server.url, { now: Date.now, timeoutMs: 300 })
    const started = performance.now()
    await expect(jwtVerify(await tokenWithKid('k1'), cache.getKey)).rejects.toThrow()
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('[J3] when the cached keys are past their max age and the provider fails then they keep serving', async () => {
    const behaviour = { down: false }
    const server = await keyServer(behaviour)
    const clock = testClock()
    const errors: unknown[] = []
    const cache = new JwksCache(() => server.url, {
      now: clock.now,
      maxAgeMs: 60_000,
      cooldownMs: 1_000,
      onFetchError: (err) => errors.push(err),
    })
    const token = await tokenWithKid('k1')
    await jwtVerify(token, cache.getKey)
    behaviour.down = true
    clock.advance(120_000)
    await jwtVerify(token, cache.getKey)
    await expect.poll(() => errors.length).toBe(1)
    await jwtVerify(token, cache.getKey)
    expect(server.requests()).toBe(2)
  })
})
